"""Sign-in and the server-side check of every page run.

The session lives on the server (contracts/services/sessions.py); the browser keeps only its
random token, in session state and in a cookie, so a reload or a new tab stays signed in for the
session's lifetime. Every run of app.py asks the server who the token belongs to, with the roles
the users table holds now: disabling a user or changing their roles takes effect at their next
page run, and signing out revokes the token on the server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import streamlit as st
import streamlit.components.v1 as components
from streamlit.errors import StreamlitSecretNotFoundError

import config
from contracts.adapters.oidc_userinfo import IdpAnswer, ask
from contracts.errors import UserError
from contracts.services.sessions import SESSION_LIFETIME, SignedIn, session_user, sign_in, sign_out
from contracts.services.sso import (
    RECHECK,
    claims_too_old,
    sign_in_sso,
    sso_settings,
    withdrawn_at_provider,
)
from contracts.services.users import change_own_password, demo_users_active

from .access import page
from .errors import shown_errors
from .resources import served_at, unit_of_work
from .session_route import COOKIE, PATH
from .text import plain

_AUTH_KEYS = (
    "authentication_status",
    "username",
    "name",
    "email",
    "roles",
    "session_token",
    "by_sso",
    "idp_checked_at",
)


def client_ip() -> str | None:
    """The client's address for the sign-in throttle and the audit trail: the peer Streamlit
    sees, or, when that peer is a reverse proxy listed in COVENANT_TRUSTED_PROXIES
    (comma-separated addresses), the last address in X-Forwarded-For that is not one of them."""
    ip = getattr(st.context, "ip_address", None)
    ip = ip if isinstance(ip, str) and ip else None
    trusted = {p.strip() for p in (config.get("COVENANT_TRUSTED_PROXIES") or "").split(",")}
    trusted.discard("")
    if ip is None or ip not in trusted:
        return ip
    forwarded = str(st.context.headers.get("X-Forwarded-For") or "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    while hops and hops[-1] in trusted:
        hops.pop()
    return hops[-1][:64] if hops else ip


def current_user() -> SignedIn | None:
    """The signed-in user for this page run, checked on the server (None: show the sign-in)."""
    cookies: Mapping[str, str] = st.context.cookies or {}
    token = st.session_state.get("session_token") or cookies.get(COOKIE)
    user = session_user(unit_of_work(), token)
    if user is not None and user.by_sso and not _provider_still_agrees(token):
        user = None
    if user is None:
        for k in _AUTH_KEYS:
            st.session_state.pop(k, None)
        return None
    st.session_state.update(
        authentication_status=True,
        username=user.username,
        name=user.name,
        email=user.email,
        roles=list(user.roles),
        session_token=token,
        by_sso=user.by_sso,
    )
    return user


def _recheck_seconds() -> float:
    raw = config.get("COVENANT_SSO_RECHECK_SECONDS") or ""
    try:
        return max(0.0, float(raw)) if raw else RECHECK.total_seconds()
    except ValueError:
        return RECHECK.total_seconds()


def _provider_still_agrees(token: str | None) -> bool:
    """For a session made by single sign-on: ask the identity provider, at most every
    COVENANT_SSO_RECHECK_SECONDS, whether it still accepts this person's access token (it needs
    `expose_tokens = ["access"]` in `[auth]`; without it the session's lifetime bounds access).
    A refusal ends the Covenant session and the provider's sign-in here."""
    if not sso_configured() or not st.user.is_logged_in:
        return True
    now = time.monotonic()
    last = st.session_state.get("idp_checked_at")
    if isinstance(last, float) and now - last < _recheck_seconds():
        return True
    try:
        access = st.user.tokens.get("access")
    except Exception:  # tokens not exposed, or an older Streamlit
        access = None
    metadata = str((st.secrets.get("auth") or {}).get("server_metadata_url") or "")
    if not access or not metadata:
        return True
    st.session_state["idp_checked_at"] = now
    if ask(metadata, str(access)) is not IdpAnswer.WITHDRAWN:
        return True
    withdrawn_at_provider(unit_of_work(), token, client_ip())
    st.session_state["clear_cookie"] = True
    st.logout()
    return False


def roles() -> set[str]:
    return (
        set(st.session_state.get("roles") or [])
        if st.session_state.get("authentication_status")
        else set()
    )


def require(key: str) -> None:
    """Stop the page with a clear refusal unless the signed-in user may open it (ui/access.py)."""
    if not st.session_state.get("authentication_status"):
        st.error("Please sign in to see this page.")
        st.stop()
    have = roles()
    spec = page(key)
    if not spec.allows(have):
        st.error(
            f"Your role ({', '.join(sorted(have)) or 'none'}) does not give access to this page. "
            f"It is for: {spec.who()}. Ask an administrator if you need it."
        )
        st.stop()


def sso_configured() -> bool:
    """Whether an identity provider is configured (`[auth]` in Streamlit's secrets.toml)."""
    try:
        auth = st.secrets.get("auth")
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return False
    return auth is not None and bool(auth.get("client_id"))


def sso_label() -> str:
    return (config.get("COVENANT_SSO_LABEL") or "")[:80]


def _finish_sso() -> bool:
    """After the identity provider's redirect: a Covenant session from its verified claims (True
    when this run signed someone in or refused them)."""
    if not st.user.is_logged_in:
        return False
    if claims_too_old(dict(st.user.to_dict())):
        st.logout()  # an old answer from the provider: ask it again
        return True
    try:
        _user, token = sign_in_sso(unit_of_work(), dict(st.user.to_dict()), client_ip())
    except UserError as exc:
        st.error(plain(exc))
        if st.button("Sign in as someone else", key="sso_other"):
            st.logout()
        return True
    st.session_state.update(session_token=token, write_cookie=token)
    st.rerun()
    return True


def login_page() -> None:
    st.title("Covenant")
    st.caption("Support contracts, signatures and SLA compliance")
    demo_banner()
    sso = sso_configured()
    if sso:
        if _finish_sso():
            return
        if st.button(f"Sign in with {sso_label()}", key="sso_login", type="primary"):
            st.login()
    if not sso_settings(unit_of_work()).local_passwords:
        st.caption("Sign-in with Covenant passwords is switched off here.")
        return
    if sso:
        st.caption("Or with a Covenant password:")
    with st.form("login"):
        username = st.text_input("Username", key="login_username", max_chars=64)
        password = st.text_input("Password", type="password", key="login_password", max_chars=200)
        submitted = st.form_submit_button("Login")
    if submitted:
        try:
            user, token = sign_in(unit_of_work(), username, password, client_ip())
        except UserError as exc:
            st.error(plain(exc))
            return
        st.session_state.update(session_token=token, write_cookie=token)
        st.rerun()


def keep_cookie() -> None:
    """Have the server set (once, after sign-in) or clear (after sign-out) the session cookie:
    the page posts its token to the route of ui/session_route.py, which answers with an HttpOnly
    cookie, so no script can read it. Served without that route (`streamlit run app.py`), the
    page writes a script-readable cookie instead, as the README says."""
    token = st.session_state.pop("write_cookie", None)
    clear = st.session_state.pop("clear_cookie", False)
    if not token and not clear:
        return
    secure = "; Secure" if (served_at() or "").startswith("https://") else ""
    age = 0 if clear else int(SESSION_LIFETIME.total_seconds())
    fallback = json.dumps(
        f"{COOKIE}={'' if clear else token}; path=/; max-age={age}; SameSite=Strict{secure}"
    )
    request = json.dumps({"method": "DELETE"} if clear else {"method": "POST"})
    body = json.dumps(json.dumps({"token": token or ""}))
    components.html(
        "<script>(async () => {"
        f"const opts = Object.assign({request}, {{credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {body}}});"
        f"let ok = false; try {{ ok = (await fetch({json.dumps(PATH)}, opts)).ok; }} "
        "catch (e) { ok = false; }"
        f"if (!ok) {{ document.cookie = {fallback}; }}"
        "})();</script>",
        height=0,
    )


def sign_out_button() -> None:
    with st.sidebar:
        st.caption(
            f"Signed in as **{plain(st.session_state.get('name'))}** ({', '.join(sorted(roles()))})"
        )
        if st.button("Sign out", key="logout_btn"):
            sign_out(unit_of_work(), st.session_state.get("session_token"), client_ip())
            for k in _AUTH_KEYS:
                st.session_state.pop(k, None)
            st.session_state["clear_cookie"] = True
            if sso_configured() and st.user.is_logged_in:
                st.logout()  # the identity provider's sign-in ends with Covenant's
            st.rerun()
        if st.session_state.get("by_sso"):
            return  # the identity provider keeps this person's password
        with st.expander("Change my password"), st.form("own_password", clear_on_submit=True):
            current = st.text_input("Current password", type="password", key="own_pw_old")
            new = st.text_input(
                "New password (10 or more characters)", type="password", key="own_pw_new"
            )
            if st.form_submit_button("Change password"):
                with shown_errors():
                    change_own_password(
                        unit_of_work(),
                        st.session_state["username"],
                        current,
                        new,
                        keep_token=st.session_state.get("session_token"),
                        ip=client_ip(),
                    )
                    st.success("Password changed.")


def demo_banner() -> None:
    """While demo users with the published password can sign in, every page says so."""
    if demo_users_active(unit_of_work()):
        st.warning(
            "Demo mode: the demo users (published password, see the README) are active. Disable "
            "them on the Admin page before any real use.",
            icon=":material/warning:",
        )
