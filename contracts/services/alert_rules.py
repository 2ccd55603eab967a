"""Alert rules: when to warn before a breach, and whom. Support managers create and disable them
(audited); flows/alerts.py evaluates them.

A threshold is one of: a share of the target used ("75%"), a time left before the breach counted
on the tier's clock ("60m", "4h"), or the breach itself ("breach"). Recipients are e-mail
addresses and at most one webhook: a Standard Webhooks endpoint (signed with a per-rule secret,
shown once, stored encrypted), a Slack or a Microsoft Teams incoming webhook. Webhook targets on
private, loopback or link-local addresses are refused unless an administrator allows them
(COVENANT_WEBHOOK_ALLOW_PRIVATE=1; the tests do)."""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

import config
from contracts.adapters import secret_box
from contracts.adapters.orm import AlertRuleRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain import limits
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import SettingsError, SigningError

METRICS = ("response", "resolution")
WEBHOOK_KINDS = ("standard", "slack", "teams", "apprise")
# kinds whose address is itself a credential (a Slack or Teams hook, an apprise URL with tokens):
# kept encrypted like a signing secret; only a redacted form is stored in the clear
ADDRESS_IS_SECRET = ("slack", "teams", "apprise")
# apprise services Covenant may call: the generic ones (their host is checked like a webhook's)
# and vendors' services on their own public hosts; others (which take any host) are refused
APPRISE_GENERIC = {
    "json": "http",
    "jsons": "https",
    "xml": "http",
    "xmls": "https",
    "form": "http",
    "forms": "https",
}
APPRISE_VENDORS = (
    "slack",
    "msteams",
    "workflows",
    "discord",
    "tgram",
    "gchat",
    "pagerduty",
    "opsgenie",
    "pover",
    "ntfys",
)
_SHARE = re.compile(r"^(\d{1,3})%$")
_BEFORE = re.compile(r"^(\d{1,5})([mh])$")
MAX_EMAILS = 20


@dataclass(frozen=True)
class Threshold:
    """What makes an alert fire: a share of the target used, minutes left, or the breach."""

    kind: Literal["share", "before", "breach"]
    value: float  # percent, minutes left on the tier's clock, or 0
    text: str  # as written: the key of the alert sent ("75%", "60m", "breach")


def parse_threshold(text: str) -> Threshold:
    t = text.strip().lower().replace(" ", "")
    if t == "breach":
        return Threshold("breach", 0, "breach")
    if m := _SHARE.match(t):
        pct = int(m.group(1))
        if not 1 <= pct <= 100:
            raise SettingsError(f"threshold {text!r}: a share of the target is 1% to 100%")
        return Threshold("share", pct, f"{pct}%")
    if m := _BEFORE.match(t):
        minutes = int(m.group(1)) * (60 if m.group(2) == "h" else 1)
        if not 1 <= minutes <= 60 * 24 * 30:
            raise SettingsError(f"threshold {text!r}: between 1 minute and 30 days before")
        return Threshold("before", minutes, f"{minutes}m")
    raise SettingsError(
        f"threshold {text!r}: write a share of the target (75%), a time left before the breach "
        "(60m, 4h) or breach"
    )


@dataclass(frozen=True)
class AlertRule:
    id: int
    name: str
    contract_id: str | None
    tiers: list[str]
    metrics: list[str]
    thresholds: list[Threshold]
    emails: list[str]
    webhook_kind: str | None
    webhook_url: str | None
    ticket_url: str | None
    active: bool
    failures: int
    created_by: str

    def applies(self, contract_id: str, tier: str, metric: str) -> bool:
        return (
            (self.contract_id is None or self.contract_id == contract_id)
            and (not self.tiers or tier in self.tiers)
            and metric in self.metrics
        )


def _rule(r: AlertRuleRow) -> AlertRule:
    return AlertRule(
        r.id,
        r.name,
        r.contract_id,
        list(r.tiers),
        list(r.metrics),
        [parse_threshold(t) for t in r.thresholds],
        list(r.emails),
        r.webhook_kind,
        r.webhook_url,
        r.ticket_url,
        r.active,
        r.failures,
        r.created_by,
    )


def check_apprise(url: str) -> None:
    """An apprise URL Covenant may call (see APPRISE_GENERIC and APPRISE_VENDORS)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in APPRISE_GENERIC:
        check_target(f"{APPRISE_GENERIC[scheme]}://{parts.netloc.rpartition('@')[2]}{parts.path}")
    elif scheme not in APPRISE_VENDORS:
        raise SettingsError(
            f"apprise address {scheme or '(none)'}://…: Covenant calls "
            f"{', '.join(sorted([*APPRISE_GENERIC, *APPRISE_VENDORS]))} services"
        )
    import apprise  # imported here: only rules that use it pay for it

    if apprise.Apprise.instantiate(url) is None:
        raise SettingsError(f"apprise does not understand the address {scheme}://…")


def redacted(kind: str, url: str) -> str:
    """What may be shown of a channel's address: its kind and host, never its tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{kind}: {parts.scheme}://{host}/…"[:200]


def check_target(url: str) -> None:
    """A webhook URL Covenant may call: http(s), a host that resolves, and (unless allowed) no
    private, loopback, link-local or reserved address; checked at creation and before each
    delivery (a name can be re-pointed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError(f"webhook {url[:80]!r}: an http(s) address is needed")
    if config.get("COVENANT_WEBHOOK_ALLOW_PRIVATE") == "1":
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise SettingsError(f"webhook host {parts.hostname!r} does not resolve: {exc}") from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise SettingsError(
                f"webhook host {parts.hostname!r} is a private or local address ({ip}); an "
                "administrator must allow such targets (COVENANT_WEBHOOK_ALLOW_PRIVATE=1)"
            )


def create_rule(
    uow: UnitOfWork,
    name: str,
    actor: str,
    thresholds: list[str],
    metrics: list[str],
    contract_id: str | None = None,
    tiers: list[str] | None = None,
    emails: list[str] | None = None,
    webhook_kind: str | None = None,
    webhook_url: str | None = None,
    ticket_url: str | None = None,
) -> tuple[int, str | None]:
    """A new rule (audited); returns its id and, for a Standard Webhooks endpoint, the signing
    secret (shown once: only its ciphertext is kept)."""
    try:
        name = limits.one_line(name, "rule name", 200)
        emails = [limits.email_address(e, "alert recipient") for e in (emails or []) if e.strip()]
    except SigningError as exc:
        raise SettingsError(str(exc)) from exc
    parsed = [parse_threshold(t) for t in thresholds if t.strip()]
    if not parsed:
        raise SettingsError("a rule needs at least one threshold (75%, 60m or breach)")
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise SettingsError(f"metrics are {' and '.join(METRICS)}, not {', '.join(bad) or 'none'}")
    if len(emails) > MAX_EMAILS:
        raise SettingsError(f"at most {MAX_EMAILS} e-mail addresses per rule")
    secret: str | None = None
    if webhook_url:
        if webhook_kind not in WEBHOOK_KINDS:
            raise SettingsError(f"webhook kind is one of {', '.join(WEBHOOK_KINDS)}")
        if webhook_kind == "apprise":
            check_apprise(webhook_url)
        else:
            check_target(webhook_url)
        if webhook_kind in ADDRESS_IS_SECRET:
            secret = webhook_url  # sealed below; the rule keeps only a redacted address
        if webhook_kind == "standard":
            secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    if not emails and not webhook_url:
        raise SettingsError("a rule needs an e-mail address or a webhook to tell")
    if ticket_url and "{ticket}" not in ticket_url:
        raise SettingsError("the help desk's ticket address needs {ticket} where the id goes")
    with uow:
        row = AlertRuleRow(
            name=name,
            contract_id=contract_id or None,
            tiers=list(tiers or []),
            metrics=list(metrics),
            thresholds=[t.text for t in parsed],
            emails=emails,
            webhook_kind=webhook_kind if webhook_url else None,
            webhook_url=(
                redacted(webhook_kind or "", webhook_url)
                if webhook_url and webhook_kind in ADDRESS_IS_SECRET
                else webhook_url or None
            ),
            webhook_secret=secret_box.seal(secret) if secret else None,
            ticket_url=ticket_url or None,
            active=True,
            failures=0,
            created_by=actor,
            created_at=utcnow(),
        )
        rule_id = uow.alert_log.add_rule(row)
        uow.record(
            Event(
                AuditKind.ALERT_RULE_CREATED,
                f"alert_rule:{rule_id}",
                {
                    "name": name,
                    "contract": contract_id,
                    "tiers": list(tiers or []),
                    "metrics": list(metrics),
                    "thresholds": [t.text for t in parsed],
                    "emails": emails,
                    "webhook": redacted(webhook_kind or "", webhook_url) if webhook_url else None,
                },
                utcnow(),
                actor,
            )
        )
        uow.commit()
        return rule_id, secret if webhook_kind == "standard" else None


def rules(uow: UnitOfWork, active_only: bool = True) -> list[AlertRule]:
    with uow:
        return [_rule(r) for r in uow.alert_log.rules(active_only)]


def webhook_secret(uow: UnitOfWork, rule_id: int) -> str | None:
    """The Standard Webhooks signing secret, or for Slack, Teams and apprise the address itself."""
    with uow:
        row = uow.alert_log.rule(rule_id)
        return secret_box.unseal(row.webhook_secret) if row and row.webhook_secret else None


def set_active(uow: UnitOfWork, rule_id: int, active: bool, actor: str, why: str = "") -> None:
    with uow:
        row = uow.alert_log.rule(rule_id)
        if row is None:
            raise SettingsError(f"no alert rule {rule_id}")
        row.active = active
        if active:
            row.failures = 0
        uow.record(
            Event(
                AuditKind.ALERT_RULE_ENABLED if active else AuditKind.ALERT_RULE_DISABLED,
                f"alert_rule:{rule_id}",
                {"why": why} if why else {},
                utcnow(),
                actor,
            )
        )
        uow.commit()


@dataclass(frozen=True)
class AlertHistoryEntry:
    """One crossing of a rule as recorded: sent (with its webhook's fate) or suppressed (why)."""

    at: datetime
    contract_id: str
    ticket_id: str
    tier: str
    metric: str
    threshold: str
    outcome: str  # "sent" or "suppressed: why"
    webhook_status: str | None  # delivered, pending, dead: why


def history(uow: UnitOfWork, rule_id: int, limit: int = 200) -> list[AlertHistoryEntry]:
    """A rule's most recent crossings, newest first."""
    with uow:
        rows = uow.alert_log.recent(rule_id, limit)
        return [
            AlertHistoryEntry(
                r.at,
                r.contract_id,
                r.ticket_id,
                r.tier,
                r.metric,
                r.threshold,
                r.outcome or "sent",
                r.webhook_status,
            )
            for r in rows
        ]
