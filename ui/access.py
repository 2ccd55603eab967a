"""Who may open which page: the one table the router (app.py) and every page's server-side check
read.

`roles` None means any signed-in user; admin may open every page. Signers never sign in: their link
opens app_pages/sign.py, which is not in this table and checks the link instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.domain.roles import Role

ADMIN = Role.ADMIN


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str
    title: str
    icon: str
    roles: frozenset[str] | None

    def allows(self, have: set[str]) -> bool:
        return self.roles is None or ADMIN in have or bool(self.roles & have)

    def who(self) -> str:
        return (
            "every signed-in user"
            if self.roles is None
            else ", ".join(sorted(self.roles | {ADMIN}))
        )


def _spec(key: str, title: str, icon: str, roles: set[str] | None) -> PageSpec:
    return PageSpec(
        key, f"app_pages/{key}.py", title, icon, None if roles is None else frozenset(roles)
    )


PAGES: tuple[PageSpec, ...] = (
    _spec("overview", "Overview", ":material/dashboard:", None),
    _spec(
        "compliance",
        "Compliance",
        ":material/monitoring:",
        {Role.SUPPORT_MANAGER, Role.VENDOR_MANAGER},
    ),
    _spec("at_risk", "At risk", ":material/timer:", {Role.SUPPORT_MANAGER}),
    _spec("alerts", "Alerts", ":material/notifications:", {Role.SUPPORT_MANAGER}),
    _spec("ingest", "Ingest", ":material/upload_file:", {Role.SUPPORT_MANAGER}),
    _spec("credits", "Credits", ":material/payments:", {Role.FINANCE}),
    _spec("renewals", "Renewals", ":material/autorenew:", {Role.VENDOR_MANAGER}),
    _spec("contracts", "Contracts", ":material/contract:", {Role.LEGAL}),
    _spec("audit", "Audit", ":material/policy:", {Role.LEGAL}),
    _spec("admin", "Admin", ":material/admin_panel_settings:", set()),
    _spec("integrations", "Integrations", ":material/cable:", set()),
    _spec("outbox", "Outbox", ":material/outbox:", set()),
)
DEFAULT_PAGE = "overview"
# where a person lands after sign-in when all their roles share one working page (finance works
# on Credits); everyone else lands on the Overview
HOME_BY_ROLES = {frozenset({Role.FINANCE.value}): "credits"}


def home(roles: set[str]) -> str:
    return HOME_BY_ROLES.get(frozenset(roles), DEFAULT_PAGE)


def page(key: str) -> PageSpec:
    for spec in PAGES:
        if spec.key == key:
            return spec
    raise KeyError(f"no page {key!r} in ui/access.py")
