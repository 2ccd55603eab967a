"""Reports and reminders that arrive on their own (the worker runs `due_notices` every hour):

- notice-deadline reminders to vendor managers 90, 30 and 7 days before a signed contract's
  notice deadline (the date the contract holds); when the worker first sees a contract inside a
  window, only the most urgent reminder goes;
- on REPORT_DAY of each month, each contract's closed month (compliance per tier and metric,
  credits) mailed to vendor managers and finance with the evidence PDF (breached tickets
  explained by their timelines) and the typed credits workbook attached;
- a daily at-risk digest to each support manager: what breaches in the next 24 hours.

Each notice is sent once, whoever runs it and however often: a row of `notices_sent` with a
unique (kind, key) is written in the same transaction as its mail (the outbox), and each is in
the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

import config
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind, ContractState
from contracts.domain.roles import Role
from contracts.services.invitations import public_base_url
from flows.closing import with_closed
from flows.evidence import evidence_pdf, explained_tickets
from sla_engine.reports import analysis
from sla_engine.reports.at_risk import at_risk
from sla_engine.reports.credit_invoice import credits_workbook
from sla_engine.reports.timeline import MAX_TIMELINES
from sla_engine.sqlfiles import connect
from sla_engine.store.core import Store

NOTICE_WINDOWS = (90, 30, 7)  # days before a notice deadline
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_day() -> int:
    """The day of the month the closed month's reports go out (COVENANT_REPORT_DAY, 1-28)."""
    try:
        return min(max(int(config.get("COVENANT_REPORT_DAY") or "3"), 1), 28)
    except ValueError:
        return 3


@dataclass
class Sent:
    notices: list[str] = field(default_factory=list)  # "kind key" of each sent by this run


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime: str
    data: bytes


def _people(uow: UnitOfWork, roles: set[str]) -> list[str]:
    """The e-mail addresses of the active users with one of `roles` (demo users only in the
    demo)."""
    with uow:
        return uow.accounts.emails(roles)


def _once(
    uow: UnitOfWork,
    kind: str,
    key: str,
    to: list[str],
    subject: str,
    body: str,
    files: list[Attachment] | None = None,
) -> bool:
    """Record the notice and queue its mail in one transaction; False when it was already sent
    (by this worker earlier or by another one)."""
    if not to:
        return False
    with uow:
        if not uow.notices.claim(kind, key, to):
            return False
        refs: list[int | dict] = [
            {"file": uow.notices.add_file(f.filename, f.mime, f.data)} for f in files or []
        ]
        for addr in to:
            uow.envelopes.queue_mail(addr, subject, body, attachments=refs)
        uow.record(
            Event(
                AuditKind.NOTICE_SENT,
                f"{kind}:{key}",
                {"to": to, "subject": subject},
                utcnow(),
                "schedule",
            )
        )
        uow.commit()
        return True


def notice_reminders(uow: UnitOfWork, today: date, sent: Sent) -> None:
    with uow:
        contracts = [c for c in uow.repo.list_contracts() if c.state == ContractState.SIGNED]
    managers = _people(uow, {Role.VENDOR_MANAGER})
    for c in contracts:
        deadline = c.notice_deadline()
        days_left = (deadline - today).days
        windows = [d for d in NOTICE_WINDOWS if 0 <= days_left <= d]
        if not windows:
            continue
        window = min(windows)  # the most urgent window the contract is in
        key = f"{c.id}:{deadline.isoformat()}:{window}"
        word = "renews" if c.typed.auto_renew else "ends"
        body = (
            f"The notice deadline of {c.id} ({c.typed.title}, customer "
            f"{c.typed.party('customer').name}) is {deadline} — in {days_left} day(s).\n\n"
            f"Unless notice is given by then, the contract {word} on {c.renewal_date()}"
            + (f" for {c.typed.renewal_term_months} months" if c.typed.auto_renew else "")
            + ".\n\nPrepare with the renewal brief on the Renewals page: "
            f"{public_base_url()[0]}/renewals\n"
        )
        if _once(
            uow,
            "notice-reminder",
            key,
            managers,
            f"Notice deadline in {days_left} day(s): {c.id}",
            body,
        ):
            sent.notices.append(f"notice-reminder {key}")


def _month_tickets(store: Store, as_of_us: int, contract_id: str, month: str) -> pd.DataFrame:
    con = connect()
    store.attach(con, only_contract=contract_id, created_between=analysis.month_window_us(month))
    terms = [t for t in store.terms() if t.contract_id == contract_id]
    analysis.evaluate_to_table(con, terms, as_of_us)
    return analysis.per_ticket_frame(
        con, "contract_id = ? AND strftime(month, '%Y-%m') = ?", [contract_id, month]
    )


def monthly_reports(store: Store, uow: UnitOfWork, today: date, as_of_us: int, sent: Sent) -> None:
    if today.day < report_day():
        return
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")  # the closed month
    rep, _ = analysis.store_report(store, as_of_us)
    rep = rep[rep["month"] == month]
    if rep.empty:
        return
    credits = with_closed(uow, analysis.credits(rep, store.terms()))
    to = _people(uow, {Role.VENDOR_MANAGER, Role.FINANCE})
    for cid, r in rep.groupby("contract_id"):
        key = f"{cid}:{month}"
        with uow:
            if uow.notices.sent("monthly-report", key):
                continue  # sent: the files are not built again
        table = r[
            [
                "severity",
                "metric",
                "tickets",
                "met",
                "breached",
                "compliance_pct",
                "target_pct",
                "status",
            ]
        ].rename(
            columns={"severity": "tier", "compliance_pct": "compliance %", "target_pct": "target %"}
        )
        tickets = _month_tickets(store, as_of_us, str(cid), month)
        breached = tickets[(tickets["resp_met"] == False) | (tickets["res_met"] == False)]  # noqa: E712
        ids = breached["ticket_id"].astype(str).tolist()[:MAX_TIMELINES]
        explained = explained_tickets(store, str(cid), ids, as_of_us)
        c = credits[credits["contract_id"] == cid]
        owed = ", ".join(
            f"{a:,.2f} {cur}" for cur, a in c.groupby("currency")["amount"].sum().items()
        )
        pdf = evidence_pdf(
            f"{cid}: SLA report for {month}",
            [
                ("Contract", str(cid)),
                ("Month", month),
                ("Credits", owed or "none"),
                ("Breached tickets", str(len(breached))),
                (
                    "Computed",
                    f"as of {pd.Timestamp(as_of_us, unit='us', tz='UTC'):%Y-%m-%d %H:%M} UTC",
                ),
            ],
            table,
            explained,
        )
        files = [
            Attachment(f"sla-report-{cid}-{month}.pdf", "application/pdf", pdf),
            Attachment(f"credits-{cid}-{month}.xlsx", XLSX, credits_workbook(c, month)),
        ]
        missed = r[r["status"] == "missed"]
        body = (
            f"{cid}, {month}: {len(missed)} tier-metric(s) below target, "
            f"{int(r['breached'].sum())} breached ticket(s); credits {owed or 'none'}.\n\n"
            "Attached: the evidence PDF (every breached ticket explained by its timeline) and "
            "the credits workbook.\n"
            f"Compliance: {public_base_url()[0]}/compliance?contract={cid}&month={month}\n"
        )
        if _once(uow, "monthly-report", key, to, f"SLA report {month}: {cid}", body, files):
            sent.notices.append(f"monthly-report {key}")


def daily_digest(store: Store, uow: UnitOfWork, now: datetime, sent: Sent) -> None:
    as_of_us = int(now.timestamp() * 1_000_000)
    risky = at_risk(store, as_of_us, within_us=24 * 3600 * 1_000_000)
    day = now.date().isoformat()
    for addr in _people(uow, {Role.SUPPORT_MANAGER}):
        lines = [
            f"{r.contract_id} {r.ticket_id} ({r.tier}, {r.metric}): breaches {r.breaches_at} "
            f"({r.hours_to_breach} h)"
            for r in risky.head(200).itertuples(index=False)
        ]
        body = (
            f"{len(risky)} open metric(s) breach within 24 hours"
            + (":\n\n" + "\n".join(lines) if lines else ".")
            + f"\n\nThe At risk page: {public_base_url()[0]}/at_risk\n"
        )
        if _once(
            uow,
            "at-risk-digest",
            f"{addr}:{day}",
            [addr],
            f"At risk today ({day}): {len(risky)} open metric(s)",
            body,
        ):
            sent.notices.append(f"at-risk-digest {addr}:{day}")


def due_notices(store: Store, uow: UnitOfWork, now: datetime | None = None) -> Sent:
    """Every scheduled notice that is due as of `now` and not yet sent."""
    now = now or utcnow()
    sent = Sent()
    notice_reminders(uow, now.date(), sent)
    if store.current() is not None:
        monthly_reports(store, uow, now.date(), int(now.timestamp() * 1_000_000), sent)
        daily_digest(store, uow, now, sent)
    return sent
