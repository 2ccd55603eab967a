"""Single sign-on (OpenID Connect): a Covenant session from an identity provider's verified claims.

Streamlit's `st.login` (Authlib) runs the OpenID Connect flow and verifies the ID token; this
module decides who that person is in Covenant:

- the account is bound to the provider's subject (issuer + `sub`), never matched by e-mail: a
  local account of the same name is refused, not taken over;
- created on first sign-in (audited), its roles set from the groups claim through the mapping an
  administrator edits on the Admin page (audited), at every sign-in: the provider decides;
- a person whose groups map to no role, or whose account is disabled, is refused (audited);
- local passwords can be switched off (sessions.sign_in then refuses them);
- access withdrawn at the provider ends the Covenant session: ui/auth.py asks the provider's
  UserInfo endpoint (adapters/oidc_userinfo.py) at most every RECHECK, and a Covenant session made
  from single sign-on lasts SSO_SESSION_LIFETIME, after which the provider is asked again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.adapters.orm import SessionRow, UserRow
from contracts.adapters.unit_of_work import AbstractUnitOfWork, UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import SettingsError, UserError
from contracts.services.sessions import (
    SESSION_LIFETIME,
    SSO_SETTING,
    SignedIn,
    _audit,
    _digest,
    sign_out,
)
from contracts.services.users import ROLES

SSO_KEY = SSO_SETTING
# A working day; then the provider is asked again (one click, silent while its own session lasts).
SSO_SESSION_LIFETIME = min(timedelta(hours=8), SESSION_LIFETIME)
RECHECK = timedelta(
    minutes=1
)  # how often a page run asks the provider (COVENANT_SSO_RECHECK_SECONDS)
WITHDRAWN = "the identity provider no longer accepts this person's sign-in"
MARK = "!sso:"  # a password hash that no password matches, naming the bound subject


class SsoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    groups_claim: str = Field("groups", min_length=1, max_length=100)
    group_roles: dict[str, list[str]] = Field(default_factory=dict)
    local_passwords: bool = True


def sso_settings(uow: AbstractUnitOfWork) -> SsoSettings:
    with uow:
        stored = uow.setting(SSO_KEY)
        return SsoSettings.model_validate(stored) if stored else SsoSettings()


def set_sso_settings(uow: UnitOfWork, values: dict, actor: str) -> SsoSettings:
    """Validate and store the mapping (every role named must exist); audited with old and new."""
    try:
        new = SsoSettings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from exc
    for group, roles in new.group_roles.items():
        if not group.strip() or len(group) > 200:
            raise SettingsError(f"group {group[:40]!r}: a name of 1 to 200 characters")
        bad = [r for r in roles if r not in ROLES]
        if bad:
            raise SettingsError(f"group {group!r}: roles are some of {', '.join(ROLES)}, not {bad}")
    with uow:
        stored = uow.setting(SSO_KEY)
        old = SsoSettings.model_validate(stored) if stored else SsoSettings()
        if old == new:
            return new
        uow.put_setting(SSO_KEY, new.model_dump(mode="json"), actor)
        uow.record(
            Event(
                AuditKind.SETTINGS_SSO_CHANGED,
                "settings:sso",
                {"from": old.model_dump(mode="json"), "to": new.model_dump(mode="json")},
                utcnow(),
                actor,
            )
        )
        uow.commit()
    return new


def _subject_mark(claims: dict) -> str:
    bound = f"{claims.get('iss', '')}|{claims.get('sub', '')}"
    return MARK + hashlib.sha256(bound.encode()).hexdigest()[:64]


def _username(claims: dict) -> str:
    raw = str(claims.get("preferred_username") or claims.get("email") or claims.get("sub") or "")
    # the local rule for usernames (users.create_user): a-z, 0-9, _ . - ; "@" reads as "."
    name = re.sub(r"[^a-z0-9_.-]", "_", raw.strip().lower().replace("@", "."))[:64]
    if len(name.strip("_")) < 3:
        raise UserError("The identity provider sent no usable name, e-mail or subject.")
    return name


def _groups(claims: dict, claim: str) -> list[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(g) for g in value if isinstance(g, str | int)][:500]
    return []


def sign_in_sso(
    uow: UnitOfWork, claims: dict, ip: str | None, now: datetime | None = None
) -> tuple[SignedIn, str]:
    """(the user, a new session token) for verified OpenID Connect claims, or UserError."""
    now = now or utcnow()
    if not claims.get("sub") or not claims.get("iss"):
        raise UserError("The identity provider's answer has no subject or issuer.")
    settings = sso_settings(uow)
    username = _username(claims)
    groups = _groups(claims, settings.groups_claim)
    roles = sorted({r for g in groups for r in settings.group_roles.get(g, [])})
    mark = _subject_mark(claims)
    with uow:
        user = uow.accounts.get(username)
        refusal = None
        if not roles:
            refusal = (
                f"Your organisation's groups ({', '.join(groups[:10]) or 'none'}) give no "
                "Covenant role. Ask an administrator to map your group on the Admin page."
            )
        elif user is not None and user.password_hash != mark:
            refusal = (
                f"A Covenant account named {username!r} exists and is not linked to this "
                "identity; an administrator must rename or remove it first."
            )
        elif user is not None and not user.active:
            refusal = "Your Covenant account is disabled. Ask an administrator."
        if refusal:
            _audit(uow, username, ip, now, AuditKind.USER_SIGN_IN_FAILED, "sso: " + refusal[:120])
            uow.commit()
            raise UserError(refusal)
        name = str(claims.get("name") or username)[:200]
        email = str(claims.get("email") or "")[:320]
        if user is None:
            user = UserRow(
                username=username,
                name=name,
                email=email,
                password_hash=mark,
                roles=roles,
                active=True,
                demo=False,
                created_at=now,
            )
            uow.accounts.add(user)
            uow.record(
                Event(
                    AuditKind.USER_CREATED,
                    f"user:{username}",
                    {"roles": roles, "by": "single sign-on", "groups": groups[:20]},
                    now,
                    "sso",
                )
            )
        elif sorted(user.roles) != roles:
            uow.record(
                Event(
                    AuditKind.USER_ROLES_CHANGED,
                    f"user:{username}",
                    {"from": sorted(user.roles), "to": roles, "by": "identity provider groups"},
                    now,
                    "sso",
                )
            )
            user.roles = roles
        user.name, user.email = name, email
        token = secrets.token_urlsafe(32)
        uow.sign_ins.add(
            SessionRow(
                token_hash=_digest(token),
                username=username,
                created_at=now,
                expires_at=now + SSO_SESSION_LIFETIME,
                ip=ip,
            )
        )
        _audit(uow, username, ip, now, AuditKind.USER_SIGNED_IN, "sso")
        uow.commit()
        return SignedIn(username, name, email, roles), token


def claims_too_old(claims: dict, now: datetime | None = None) -> bool:
    """Whether the provider's sign-in (its ID token's `iat`) is older than a single-sign-on
    session may last: then Covenant sends the person back to the provider instead of making a
    new session from an old answer."""
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        return False
    now = now or utcnow()
    return now.timestamp() - float(issued) > SSO_SESSION_LIFETIME.total_seconds()


def withdrawn_at_provider(uow: UnitOfWork, token: str | None, ip: str | None) -> None:
    """The provider refused this person's access token: their Covenant session ends (audited
    with the reason)."""
    sign_out(uow, token, ip, why=WITHDRAWN)
