"""Ask the identity provider whether a signed-in person's access still stands.

OpenID Connect's UserInfo endpoint (Core 1.0 §5.3) answers 200 for a live access token and 401
(RFC 6750 `invalid_token`) once the provider has revoked it — which Okta, Entra ID (continuous
access evaluation) and Keycloak do when an account is disabled or deprovisioned. Covenant asks
at most once a minute per session (ui/auth.py), so a person removed at the provider loses
Covenant at their next page run after that, not when their Covenant session would end.
"""

from __future__ import annotations

import enum
import time

import requests

TIMEOUT = 5.0
_DISCOVERY_TTL = 3600.0
_discovered: dict[str, tuple[float, str | None]] = {}


class IdpAnswer(enum.Enum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"  # the provider refuses the token: signed out of Covenant
    UNREACHABLE = "unreachable"  # no answer: the session's own lifetime still bounds it


def userinfo_endpoint(metadata_url: str) -> str | None:
    """The provider's UserInfo endpoint from its discovery document (cached an hour)."""
    hit = _discovered.get(metadata_url)
    if hit is not None and time.monotonic() - hit[0] < _DISCOVERY_TTL:
        return hit[1]
    try:
        resp = requests.get(metadata_url, timeout=TIMEOUT)
        resp.raise_for_status()
        found = resp.json().get("userinfo_endpoint")
    except (requests.RequestException, ValueError):
        return None  # not cached: asked again at the next check
    endpoint = (
        found if isinstance(found, str) and found.startswith(("https://", "http://")) else None
    )
    _discovered[metadata_url] = (time.monotonic(), endpoint)
    return endpoint


def ask(metadata_url: str, access_token: str) -> IdpAnswer:
    """Whether the provider still accepts `access_token` (one bounded request)."""
    endpoint = userinfo_endpoint(metadata_url)
    if endpoint is None:
        return IdpAnswer.UNREACHABLE
    try:
        resp = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException:
        return IdpAnswer.UNREACHABLE
    if resp.status_code == 200:
        return IdpAnswer.ACTIVE
    return IdpAnswer.WITHDRAWN if _refused(resp) else IdpAnswer.UNREACHABLE


# OAuth error codes that mean "this token no longer stands" (RFC 6750 §3.1, RFC 6749 §4.1.2.1)
REFUSALS = frozenset({"invalid_token", "access_denied", "invalid_grant"})


def _refused(resp: requests.Response) -> bool:
    """401/403 (RFC 6750), or a 400 naming a refusal in its body or WWW-Authenticate header, as
    some providers answer; a 429 or 5xx is not a refusal."""
    if resp.status_code in (401, 403):
        return True
    if resp.status_code != 400:
        return False
    if any(f'error="{code}"' in resp.headers.get("WWW-Authenticate", "") for code in REFUSALS):
        return True
    try:
        body = resp.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") in REFUSALS
