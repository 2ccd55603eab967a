"""Open tickets by time to breach: for each open metric, the instant its remaining business
minutes run out (business time added forwards through the calendar), so a manager can act before
the month is lost. A ticket paused now has no breach instant while it stays paused."""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from . import ledger
from .analysis import evaluate_to_table, per_ticket_frame
from .business_time import add_business
from .calendar import MINUTE_US
from .engine import narrow_tickets, open_inputs
from .errors import EvaluationError
from .sqlfiles import connect
from .store import Store

COLUMNS = [
    "contract_id",
    "ticket_id",
    "tier",
    "metric",
    "created_at",
    "target_minutes",
    "counted_minutes",
    "remaining_minutes",
    "breaches_at",
    "hours_to_breach",
    "paused_now",
]
_WITHIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")


def parse_within(text: str | None) -> int | None:
    """'90m', '4h', '2d' -> microseconds (None = no limit)."""
    if not text:
        return None
    m = _WITHIN.match(text)
    if not m:
        raise EvaluationError(f"--within {text!r}: write a number with m, h or d, e.g. 4h")
    per = {"m": 1, "h": 60, "d": 1440}[m.group(2)]
    return int(float(m.group(1)) * per * MINUTE_US)


def _iso(us: int | None) -> str:
    if us is None:
        return ""
    return pd.Timestamp(us, unit="us", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def at_risk(
    store: Store,
    as_of_us: int,
    contract: str | None = None,
    within_us: int | None = None,
    include_breached: bool = False,
) -> pd.DataFrame:
    """Open, not yet breached metrics ordered by breach instant (paused ones last); with
    `include_breached`, also the open metrics already past their target (`breached_now`, no
    breach instant ahead), for alerts at breach."""
    terms = [t for t in store.terms() if contract is None or t.contract_id == contract]
    if not terms:
        return pd.DataFrame(columns=COLUMNS)
    by_id = {t.terms_id: t for t in terms}
    con = _open_tickets(store, as_of_us, contract)
    evaluate_to_table(con, terms, as_of_us)
    # a metric is at risk while it runs and has not passed its target: nothing else is looked at
    columns = [*COLUMNS, "breached_now"] if include_breached else COLUMNS
    open_ = per_ticket_frame(
        con,
        "(NOT resp_done OR NOT res_done)"
        if include_breached
        else "((NOT resp_done AND resp_el < resp_target) OR "
        "(NOT res_done AND res_el < res_target))",
    )
    if open_.empty:
        return pd.DataFrame(columns=columns)
    paused = con.execute(
        "SELECT t.contract_id, t.ticket_id, s.status FROM status_log s JOIN tickets t USING (tid)"
        " WHERE s.start_us <= ? AND (s.end_us IS NULL OR s.end_us > ?)",
        [as_of_us, as_of_us],
    ).df()
    now_status = {(r.contract_id, r.ticket_id): r.status for r in paused.itertuples(index=False)}
    rows = []
    for r in open_.itertuples(index=False):
        t = by_id[str(r.terms_id)]
        status = now_status.get((r.contract_id, r.ticket_id))
        is_paused = status is not None and status in {s.lower() for s in t.pause_statuses}
        for metric, done, el, target, sev in (
            ("response", r.resp_done, r.resp_el, r.resp_target, r.resp_sev),
            ("resolution", r.res_done, r.res_el, r.res_target, r.severity),
        ):
            breached = int(el) >= int(target)
            if done or (breached and not include_breached):  # completed, or already breached
                continue
            tier = t.tiers[str(sev)]
            business = tier.clock == "business" and not t.calendar.is_24x7
            remaining = max(int(target) - int(el), 0)
            at = (
                None
                if is_paused or breached
                else add_business(t.calendar, business, as_of_us, remaining)
            )
            if within_us is not None and (at is None or at - as_of_us > within_us):
                continue
            rows.append(
                {
                    "contract_id": r.contract_id,
                    "ticket_id": r.ticket_id,
                    "tier": str(sev),
                    "metric": metric,
                    "created_at": _iso(int(r.created_us)),
                    "target_minutes": round(int(target) / MINUTE_US, 1),
                    "counted_minutes": round(int(el) / MINUTE_US, 1),
                    "remaining_minutes": round(remaining / MINUTE_US, 1),
                    "breaches_at": _iso(at),
                    "hours_to_breach": None if at is None else round((at - as_of_us) / 3.6e9, 2),
                    "paused_now": is_paused,
                    "breached_now": breached,
                    "_at": at if at is not None else 2**62,
                }
            )
    out = pd.DataFrame(rows, columns=[*columns, "_at"])
    return (
        out.sort_values(["_at", "contract_id", "ticket_id", "metric"])
        .drop(columns="_at")
        .reset_index(drop=True)
    )


def _open_tickets(store: Store, as_of_us: int, contract: str | None) -> duckdb.DuckDBPyConnection:
    """A connection whose evaluation inputs hold at least every ticket still open as of then.

    From the SLA ledger when it answers for that instant: its open tickets are exactly the ones not
    final (at 10M tickets, 300k instead of all of them); otherwise every ticket of the store."""
    gen = store.current()
    led = ledger.load(gen, store.terms()) if gen is not None else None
    if led is None or as_of_us < led.settled_us:
        con = connect()
        store.attach(con, only_contract=contract)
        return con
    con = open_inputs(led.path, prefix="live_")
    if contract is not None:
        narrow_tickets(con, "contract_id = ?", [contract])
    return con


def newest_instant(store: Store) -> int | None:
    """The latest instant any ticket of the store records (creation, response or resolution)."""
    con = connect()
    store.attach(con)
    row = con.execute(
        "SELECT max(greatest(created_us, coalesce(first_response_us, 0), "
        "coalesce(resolved_us, 0))) FROM tickets"
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
