"""Login (streamlit-authenticator over the users table) and server-side role checks for every
page."""

from __future__ import annotations

import copy
import os
import secrets
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth

from contracts.services.users import change_own_password, credentials, demo_users_active

from .access import page
from .errors import shown_errors
from .resources import ROOT, unit_of_work

COOKIE = "covenant_session"
SESSION_DAYS = 0.5  # a session (cookie) lasts 12 hours
MAX_LOGIN_ATTEMPTS = 5


def cookie_key() -> str:
    """COVENANT_COOKIE_KEY, else a random key generated on first run and kept in data/secrets/."""
    key = os.environ.get("COVENANT_COOKIE_KEY")
    if key:
        return key
    path = Path(os.environ.get("COVENANT_SECRETS", ROOT / "data" / "secrets")) / "cookie_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def authenticator() -> stauth.Authenticate:
    if "authenticator" not in st.session_state:
        st.session_state["authenticator"] = stauth.Authenticate(
            copy.deepcopy(credentials(unit_of_work())),
            COOKIE,
            cookie_key(),
            SESSION_DAYS,
            auto_hash=False,
            login_sleep_time=0,
        )
    return st.session_state["authenticator"]


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


def login_page() -> None:
    st.title("Covenant")
    st.caption("Support contracts, signatures and SLA compliance")
    demo_banner()
    authenticator().login(location="main", max_login_attempts=MAX_LOGIN_ATTEMPTS, key="login")
    if st.session_state.get("authentication_status") is False:
        st.error("Username or password is incorrect.")
    if st.session_state.get("authentication_status"):
        st.rerun()


def sign_out_button() -> None:
    with st.sidebar:
        st.caption(
            f"Signed in as **{st.session_state.get('name')}** ({', '.join(sorted(roles()))})"
        )
        authenticator().logout("Sign out", "sidebar", key="logout_btn")
        with st.expander("Change my password"), st.form("own_password", clear_on_submit=True):
            current = st.text_input("Current password", type="password", key="own_pw_old")
            new = st.text_input(
                "New password (10 or more characters)", type="password", key="own_pw_new"
            )
            if st.form_submit_button("Change password"):
                with shown_errors():
                    change_own_password(unit_of_work(), st.session_state["username"], current, new)
                    st.success("Password changed.")


def demo_banner() -> None:
    """While demo users with the published password can sign in, every page says so."""
    if demo_users_active(unit_of_work()):
        st.warning(
            "Demo mode: the demo users (published password, see the README) are active. Disable "
            "them on the Admin page before any real use.",
            icon=":material/warning:",
        )
