"""Open tickets by time to breach: for each open metric, the instant its remaining business
minutes run out (business time added forwards through the calendar), so a manager can act before
the month is lost. A ticket paused now has no breach instant while it stays paused."""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from sla_engine.errors import EvaluationError
from sla_engine.ledger import core as ledger
from sla_engine.reports.analysis import evaluate_to_table, per_ticket_frame
from sla_engine.rulebook.business_time import add_business
from sla_engine.rulebook.calendar import MINUTE_US
from sla_engine.rulebook.engine import narrow_tickets
from sla_engine.sqlfiles import connect, sql
from sla_engine.store.core import Store
from sla_engine.store.gen_files import open_inputs

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


METRIC_COLUMNS = [
    "contract_id",
    "ticket_id",
    "terms_id",
    "tier",
    "metric",
    "created_us",
    "target_us",
    "counted_us",
    "remaining_us",
    "business_clock",
    "paused_now",
    "breached_now",
]


def open_metrics(store: Store, as_of_us: int, contract: str | None = None) -> pd.DataFrame:
    """Every metric still running as of then, one row per ticket and metric (breached ones
    included), computed column-wise with no breach instant: what alerts need at 300k open tickets.

    A metric is paused now when the ticket's status at that instant is one its terms pause: the
    rulebook's rule (paused_now.sql reads rulebook_history.sql's statuses)."""
    terms = [t for t in store.terms() if contract is None or t.contract_id == contract]
    if not terms:
        return pd.DataFrame(columns=METRIC_COLUMNS)
    con = _open_tickets(store, as_of_us, contract)
    evaluate_to_table(con, terms, as_of_us)
    open_ = per_ticket_frame(con, "(NOT resp_done OR NOT res_done)")
    if open_.empty:
        return pd.DataFrame(columns=METRIC_COLUMNS)
    paused = con.execute(sql("paused_now")).df()  # the rulebook's pause rule (SQL)
    clocks = pd.DataFrame(
        [
            (t.terms_id, name, tier.clock == "business" and not t.calendar.is_24x7)
            for t in terms
            for name, tier in t.tiers.items()
        ],
        columns=["terms_id", "tier", "business_clock"],
    )
    base = open_.merge(paused, on=["contract_id", "ticket_id"], how="left")
    base["terms_id"] = base["terms_id"].astype(str)
    base["paused_now"] = base["paused_now"].eq(True)
    parts = []
    for metric, done, el, target, sev in (
        ("response", "resp_done", "resp_el", "resp_target", "resp_sev"),
        ("resolution", "res_done", "res_el", "res_target", "severity"),
    ):
        part = base.loc[~base[done].astype(bool)]
        parts.append(
            pd.DataFrame(
                {
                    "contract_id": part["contract_id"],
                    "ticket_id": part["ticket_id"],
                    "terms_id": part["terms_id"],
                    "tier": part[sev].astype(str),
                    "metric": metric,
                    "created_us": part["created_us"].astype("int64"),
                    "target_us": part[target].astype("int64"),
                    "counted_us": part[el].astype("int64"),
                    "paused_now": part["paused_now"],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["remaining_us"] = (out["target_us"] - out["counted_us"]).clip(lower=0)
    out["breached_now"] = out["counted_us"] >= out["target_us"]
    out = out.merge(clocks, on=["terms_id", "tier"], how="left")
    out["business_clock"] = out["business_clock"].eq(True)
    return out[METRIC_COLUMNS]


def breach_instant(store_terms: dict, row: pd.Series | object, as_of_us: int) -> int | None:
    """When an open metric's remaining time runs out on its tier's clock, counted from now (None
    while it is paused, or once it has breached)."""
    paused, breached = bool(row.paused_now), bool(row.breached_now)  # type: ignore[union-attr]
    if paused or breached:
        return None
    t = store_terms[str(row.terms_id)]  # type: ignore[union-attr]
    return add_business(
        t.calendar,
        bool(row.business_clock),  # type: ignore[union-attr]
        as_of_us,
        int(row.remaining_us),  # type: ignore[union-attr]
    )


def describe(metrics: pd.DataFrame, by_id: dict, as_of_us: int) -> pd.DataFrame:
    """Open metrics as people read them: minutes, the breach instant, hours to it."""
    rows = []
    for r in metrics.itertuples(index=False):
        at = breach_instant(by_id, r, as_of_us)
        rows.append(
            {
                "contract_id": r.contract_id,
                "ticket_id": r.ticket_id,
                "tier": r.tier,
                "metric": r.metric,
                "created_at": _iso(int(r.created_us)),
                "target_minutes": round(int(r.target_us) / MINUTE_US, 1),
                "counted_minutes": round(int(r.counted_us) / MINUTE_US, 1),
                "remaining_minutes": round(int(r.remaining_us) / MINUTE_US, 1),
                "breaches_at": _iso(at),
                "hours_to_breach": None if at is None else round((at - as_of_us) / 3.6e9, 2),
                "paused_now": bool(r.paused_now),
                "breached_now": bool(r.breached_now),
                "_at": at if at is not None else 2**62,
            }
        )
    return pd.DataFrame(rows, columns=[*COLUMNS, "breached_now", "_at"])


def at_risk(
    store: Store,
    as_of_us: int,
    contract: str | None = None,
    within_us: int | None = None,
    include_breached: bool = False,
) -> pd.DataFrame:
    """Open, not yet breached metrics ordered by breach instant (paused ones last); with
    `include_breached`, also the open metrics already past their target (`breached_now`, no
    breach instant ahead)."""
    columns = [*COLUMNS, "breached_now"] if include_breached else COLUMNS
    metrics = open_metrics(store, as_of_us, contract)
    if not include_breached:
        metrics = metrics.loc[~metrics["breached_now"].astype(bool)]
    if within_us is not None:
        # business time never runs faster than the wall clock: a metric with more remaining than
        # the window cannot breach within it, so its instant need not be computed
        metrics = metrics.loc[
            ~metrics["paused_now"].astype(bool)
            & ~metrics["breached_now"].astype(bool)
            & (metrics["remaining_us"] <= within_us)
        ]
    if metrics.empty:
        return pd.DataFrame(columns=columns)
    out = describe(metrics, {t.terms_id: t for t in store.terms()}, as_of_us)
    if within_us is not None:
        out = out.loc[out["_at"] - as_of_us <= within_us]
    return (
        out.sort_values(["_at", "contract_id", "ticket_id", "metric"])
        .drop(columns="_at")[columns]
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
