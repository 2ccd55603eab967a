"""Who does what in Covenant: the roles a person holds (a person may hold several). Which page a
role opens is ui/access.py's table; an identity provider's groups map to these (services/sso.py)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # runs the deployment; opens every page
    SUPPORT_MANAGER = "support_manager"  # compliance, at risk, alerts, ingest
    VENDOR_MANAGER = "vendor_manager"  # compliance, renewals
    FINANCE = "finance"  # credits, closing months
    LEGAL = "legal"  # contracts, signing, audit


ROLES: tuple[str, ...] = tuple(r.value for r in Role)
