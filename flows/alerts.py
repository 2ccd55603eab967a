"""Alerts before a breach: one tick evaluates every active rule (contracts/services/alert_rules.py)
against the engine's open metrics (sla_engine/reports/at_risk.py, breached ones included) and tells
each rule's recipients once per ticket, metric, tier and threshold.

Exactly once, however many workers tick: an alert is a row of `alerts_sent` whose unique key is
(rule, contract, ticket, metric, tier, threshold), inserted in the same transaction as its e-mails
(the outbox); a second worker's insert is skipped and it sends nothing. A ticket paused now does not
alert; one resolved before a threshold never does (it is no longer open); a severity change is
a new tier, so its thresholds are judged again.

Webhooks are sent after that commit (flows/alert_delivery.py: the message, Standard Webhooks,
Slack, Teams, apprise, bounded retries); what still fails is a dead letter (the alert's
webhook_status, shown on the Alerts page), and a rule whose webhook failed DISABLE_AFTER times in a
row is disabled, its owner told by e-mail, audited.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import SettingsError
from contracts.services import alert_rules
from contracts.services.alert_rules import AlertRule, Threshold
from contracts.services.invitations import public_base_url
from flows.alert_delivery import Post, deliver, http_post, mail_body, message
from sla_engine.reports.at_risk import describe, open_metrics
from sla_engine.rulebook.calendar import MINUTE_US
from sla_engine.sqlfiles import connect
from sla_engine.store.core import Store

STORM = 200  # crossings one rule alerts one by one in a tick; the rest are summarised
DISABLE_AFTER = 5  # dead letters in a row before a rule's webhook is switched off


def crossing(t: Threshold, metrics: pd.DataFrame) -> pd.Series:
    """Which open metrics have reached the threshold, column-wise (a paused one never has: its
    clock is stopped until it runs again). `before` counts on the tier's clock."""
    running = ~metrics["paused_now"].astype(bool)
    breached = metrics["breached_now"].astype(bool)
    if t.kind == "breach":
        return running & breached
    if t.kind == "share":
        return running & (metrics["counted_us"] >= metrics["target_us"] * t.value / 100)
    return running & (breached | (metrics["remaining_us"] <= t.value * MINUTE_US))


@dataclass
class TickReport:
    """What one tick did."""

    alerts: int = 0  # alerts recorded (and their e-mails queued) by this tick
    already_sent: int = 0  # crossings another tick or worker had already alerted
    suppressed: int = 0  # crossings recorded as not sent, with the reason (see tick)
    webhooks_delivered: int = 0
    dead_letters: list[str] = field(default_factory=list)
    rules_disabled: list[int] = field(default_factory=list)


def tick(
    store: Store,
    uow: UnitOfWork,
    as_of_us: int,
    base_url: str | None = None,
    post: Post = http_post,
    sleep: Callable[[float], None] = time.sleep,
) -> TickReport:
    """One evaluation of every active rule as of `as_of_us` (the worker runs it every minute;
    `python -m flows alerts run` runs one).

    The open metrics are evaluated once for all rules and judged column-wise; only new crossings
    become Python work. Two crossings are recorded but not sent, with the reason in the history:
    a share or time-before threshold of a metric already breached when first seen, where the rule
    also alerts at breach (the breach alert says more); and, beyond STORM crossings of one rule in
    one tick (a rule added over a backlog), the rest, which one summary message counts instead."""
    report = TickReport()
    active = alert_rules.rules(uow)
    if not active:
        return report
    terms = {t.terms_id: t for t in store.terms()}
    zones = {t.contract_id: t.calendar.timezone for t in terms.values()}
    base = public_base_url(base_url)[0]
    metrics = open_metrics(store, as_of_us)
    metrics["_k"] = _base_keys(metrics) if len(metrics) else np.empty(0, dtype=np.uint64)
    for rule in active:
        due = _due(uow, rule, metrics)
        report.already_sent += due.already_sent
        if due.frame.empty:
            continue
        superseded = due.frame["superseded"]
        send = due.frame.loc[~superseded]
        storm = send.iloc[STORM:]
        send = send.iloc[:STORM]
        quiet = [
            *(
                _key_of(r, "suppressed: already breached when first seen")
                for r in due.frame.loc[superseded].itertuples(index=False)
            ),
            *(
                _key_of(r, f"suppressed: one of {len(storm) + STORM} crossings at once, summarised")
                for r in storm.itertuples(index=False)
            ),
        ]
        report.suppressed += _record_quiet(uow, rule, quiet)
        secret = alert_rules.webhook_secret(uow, rule.id) if rule.webhook_kind else None
        for r in send.itertuples(index=False):
            t = next(x for x in rule.thresholds if x.text == r.threshold)
            row = describe(pd.DataFrame([r._asdict()]), terms, as_of_us).iloc[0]
            msg = message(rule, t, row, zones.get(str(r.contract_id), "UTC"), base)
            sent_id = _record(uow, rule, t, row, msg)
            if sent_id is None:
                report.already_sent += 1
                continue
            report.alerts += 1
            if rule.webhook_url and _webhook_result(
                uow,
                rule,
                sent_id,
                deliver(rule, secret, f"msg_{sent_id}", msg, post, sleep),
                report,
            ):
                break  # its webhook was just switched off: nothing more from this rule
        if len(storm):
            _storm_summary(uow, rule, len(storm), send, base, post, sleep)
    return report


@dataclass
class Due:
    frame: pd.DataFrame  # one row per new crossing: the metric's columns and `threshold`
    already_sent: int


KEY = ["contract_id", "ticket_id", "metric", "tier"]
# per process and database: each rule's recorded crossings as an index of 64-bit keys, the last id
# read, so a tick reads only rows recorded since the last one. The unique constraint stays the
# truth: a row this cache has not seen yet makes the insert fail, and nothing is sent twice.
_RECORDED: dict[tuple[str, int], tuple[int, pd.Index]] = {}


def _hash_keys(frame: pd.DataFrame, thresholds: pd.Series | str) -> np.ndarray:
    """A 64-bit key per (contract, ticket, metric, tier, threshold): DuckDB's hash of the four
    columns mixed with the threshold's own digest (one function for crossings and records)."""
    if "_k" in frame.columns:  # hashed once per tick for every open metric (tick)
        h = frame["_k"].to_numpy(dtype=np.uint64)
    else:
        h = _base_keys(frame)
    if isinstance(thresholds, str):
        return h ^ np.uint64(_threshold_digest(thresholds))
    codes, texts = pd.factorize(thresholds)  # a handful of threshold texts: digest each once
    digests = np.array([_threshold_digest(str(t)) for t in texts], dtype=np.uint64)
    return h ^ digests[codes]


def _base_keys(frame: pd.DataFrame) -> np.ndarray:
    con = connect()
    con.register("f", frame[KEY].astype(str))
    base = con.execute("SELECT hash(contract_id, ticket_id, metric, tier) FROM f").fetchnumpy()
    return next(iter(base.values())).astype(np.uint64)


def _threshold_digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _recorded(uow: UnitOfWork, rule_id: int) -> pd.Index:
    """The rule's recorded crossings (sent or suppressed) as keys, read incrementally."""
    cache_key = (uow.engine.url.render_as_string(hide_password=True), rule_id)
    last_id, keys = _RECORDED.get(cache_key, (0, pd.Index(np.empty(0, dtype=np.uint64))))
    with uow:
        rows = uow.alert_log.recorded_since(rule_id, last_id)
    if rows:
        new = pd.DataFrame(rows, columns=["id", *KEY, "threshold"])
        # unique, so its hash table (built once, then cached by pandas) answers each tick
        keys = pd.Index(
            np.unique(np.concatenate([keys.to_numpy(), _hash_keys(new, new["threshold"])]))
        )
        last_id = int(new["id"].iloc[-1])
        _RECORDED[cache_key] = (last_id, keys)
    return keys


def _among(keys: np.ndarray, recorded: pd.Index) -> np.ndarray:
    """Which keys are among the recorded ones (a lookup in the index's cached hash table)."""
    if not len(recorded):
        return np.zeros(len(keys), dtype=bool)
    return recorded.get_indexer(keys) >= 0


def _due(uow: UnitOfWork, rule: AlertRule, metrics: pd.DataFrame) -> Due:
    """A rule's crossings not yet recorded, oldest ticket first, each marked `superseded` when the
    metric is already breached and the rule alerts at breach."""
    mine = metrics
    if rule.contract_id:
        mine = mine.loc[mine["contract_id"] == rule.contract_id]
    if rule.tiers:
        mine = mine.loc[mine["tier"].isin(rule.tiers)]
    mine = mine.loc[mine["metric"].isin(rule.metrics)]
    empty = mine.iloc[:0].assign(threshold="", superseded=False)
    if mine.empty:
        return Due(empty, 0)
    at_breach = any(t.kind == "breach" for t in rule.thresholds)
    recorded = _recorded(uow, rule.id)
    parts, already = [], 0
    for t in rule.thresholds:
        hit = mine.loc[crossing(t, mine)]
        if hit.empty:
            continue
        seen = _among(_hash_keys(hit, t.text), recorded)
        already += int(seen.sum())
        hit = hit.loc[~seen]
        parts.append(
            hit.assign(
                threshold=t.text,
                superseded=(hit["breached_now"].astype(bool) & at_breach & (t.kind != "breach")),
            )
        )
    if not parts:
        return Due(empty, already)
    crossings = pd.concat(parts, ignore_index=True)
    return Due(crossings.sort_values(["created_us", "ticket_id"], kind="stable"), already)


def _key_of(r: object, outcome: str) -> dict:
    return {
        "contract_id": str(r.contract_id),  # type: ignore[attr-defined]
        "ticket_id": str(r.ticket_id),  # type: ignore[attr-defined]
        "metric": str(r.metric),  # type: ignore[attr-defined]
        "tier": str(r.tier),  # type: ignore[attr-defined]
        "threshold": str(r.threshold),  # type: ignore[attr-defined]
        "outcome": outcome,
    }


def _record_quiet(uow: UnitOfWork, rule: AlertRule, keys: list[dict]) -> int:
    """Crossings recorded as not sent, in one statement per thousand (a key another worker
    recorded first is skipped), audited as one event."""
    if not keys:
        return 0
    now = utcnow()
    rows = [{"rule_id": rule.id, "at": now, "payload": {}, **k} for k in keys]
    with uow:
        done = len(uow.alert_log.claim(rows))
        uow.record(
            Event(
                AuditKind.ALERT_SENT,
                f"alert_rule:{rule.id}",
                {"suppressed": done, "why": sorted({k["outcome"] for k in keys})},
                now,
                "alerts",
            )
        )
        uow.commit()
    return done


def _storm_summary(
    uow: UnitOfWork,
    rule: AlertRule,
    more: int,
    sent: pd.DataFrame,
    base: str,
    post: Post,
    sleep: Callable[[float], None],
) -> None:
    """One message for the crossings a storm held back: how many, and where to see them."""
    text = (
        f"Alert rule {rule.name!r}: {len(sent) + more} tickets crossed its thresholds at once. "
        f"{len(sent)} were alerted one by one; the other {more} are listed on the At risk page "
        f"({base}/at_risk) and recorded in the rule's history as summarised here.\n"
    )
    with uow:
        for to in rule.emails:
            subject = f"SLA alerts: {more} more ticket(s) crossed ({rule.name})"
            uow.envelopes.queue_mail(to, subject, text)
        uow.commit()
    if rule.webhook_url:
        msg = {
            "type": "sla.alert_summary",
            "rule": rule.name,
            "more": more,
            "summary": text.strip(),
            "timeline_url": f"{base}/at_risk",
        }
        secret = alert_rules.webhook_secret(uow, rule.id) if rule.webhook_kind else None
        deliver(rule, secret, f"storm_{rule.id}_{int(time.time())}", msg, post, sleep)


def _record(
    uow: UnitOfWork, rule: AlertRule, t: Threshold, row: pd.Series, msg: dict
) -> int | None:
    """The alert's row and its e-mails, in one transaction; None when it was already sent (by
    another tick or worker: it sends, not this one)."""
    with uow:
        row_values = {
            "rule_id": rule.id,
            "contract_id": str(row["contract_id"]),
            "ticket_id": str(row["ticket_id"]),
            "metric": str(row["metric"]),
            "tier": str(row["tier"]),
            "threshold": t.text,
            "at": utcnow(),
            "webhook_status": "pending" if rule.webhook_url else None,
            "payload": msg,
            "outcome": "sent",
        }
        ids = uow.alert_log.claim([row_values])
        if not ids:
            return None
        for to in rule.emails:
            uow.envelopes.queue_mail(
                to,
                f"SLA alert ({t.text}): {msg['contract']} ticket {msg['ticket']}",
                mail_body(msg),
            )
        uow.record(
            Event(
                AuditKind.ALERT_SENT,
                f"alert_rule:{rule.id}",
                {
                    "ticket": msg["ticket"],
                    "contract": msg["contract"],
                    "metric": msg["metric"],
                    "tier": msg["tier"],
                    "threshold": t.text,
                    "emails": len(rule.emails),
                },
                utcnow(),
                "alerts",
            )
        )
        uow.commit()
        return ids[0]


def _webhook_result(
    uow: UnitOfWork, rule: AlertRule, sent_id: int, status: str, report: TickReport
) -> bool:
    """Record a delivery; True when the rule was just disabled (stop sending to it)."""
    with uow:
        health = uow.alert_log.webhook_delivered(sent_id, rule.id, status)
        if health is None:
            return False
        if status == "delivered":
            report.webhooks_delivered += 1
            uow.commit()
            return False
        report.dead_letters.append(f"alert {sent_id}: {status}")
        uow.record(
            Event(
                AuditKind.ALERT_WEBHOOK_DEAD,
                f"alert_rule:{rule.id}",
                {"alert": sent_id, "status": status},
                utcnow(),
                "alerts",
            )
        )
        disabled = health.failures >= DISABLE_AFTER and health.active
        if disabled:
            uow.alert_log.disable_rule(rule.id)
            report.rules_disabled.append(rule.id)
            owner = uow.accounts.email_of(rule.created_by)
            if owner is not None:
                uow.envelopes.queue_mail(
                    owner,
                    f"Alert rule disabled: {rule.name}",
                    f"The webhook of alert rule {rule.name!r} failed {health.failures} times in a "
                    f"row (last: {status}). The rule is disabled; fix the endpoint and enable it "
                    "again on the Alerts page. E-mail recipients were still told.\n",
                )
            uow.record(
                Event(
                    AuditKind.ALERT_RULE_DISABLED,
                    f"alert_rule:{rule.id}",
                    {"why": f"webhook failed {health.failures} times in a row"},
                    utcnow(),
                    "alerts",
                )
            )
        uow.commit()
        return disabled


def test_send(
    uow: UnitOfWork,
    rule_id: int,
    actor: str,
    base_url: str | None = None,
    post: Post = http_post,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """A sample alert to the rule's recipients, now (e-mails queued, the webhook delivered), so a
    team sees its channel works before a real breach; audited, and never counted as an alert."""
    rule = next((r for r in alert_rules.rules(uow, active_only=False) if r.id == rule_id), None)
    if rule is None:
        raise SettingsError(f"no alert rule {rule_id}")
    sample = pd.Series(
        {
            "contract_id": rule.contract_id or "CONTRACT",
            "ticket_id": "TEST-1",
            "tier": rule.tiers[0] if rule.tiers else "P1",
            "metric": rule.metrics[0],
            "created_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "target_minutes": 60.0,
            "counted_minutes": 45.0,
            "remaining_minutes": 15.0,
            "breaches_at": "",
            "breached_now": False,
            "paused_now": False,
        }
    )
    msg = message(rule, rule.thresholds[0], sample, "UTC", public_base_url(base_url)[0])
    msg["summary"] = "TEST of alert rule " + repr(rule.name) + ": " + msg["summary"]
    with uow:
        for to in rule.emails:
            uow.envelopes.queue_mail(to, f"SLA alert TEST: {rule.name}", mail_body(msg))
        uow.record(
            Event(
                AuditKind.ALERT_TEST_SENT,
                f"alert_rule:{rule.id}",
                {"emails": len(rule.emails)},
                utcnow(),
                actor,
            )
        )
        uow.commit()
    said = f"{len(rule.emails)} test e-mail(s) queued"
    if rule.webhook_url:
        secret = alert_rules.webhook_secret(uow, rule.id) if rule.webhook_kind else None
        status = deliver(rule, secret, f"test_{rule.id}_{int(time.time())}", msg, post, sleep)
        said += f"; webhook: {status}"
    return said
