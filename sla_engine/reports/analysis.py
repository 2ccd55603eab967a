"""High-level calls used by the CLI and the pages: per-ticket results, monthly report, credits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from sla_engine.errors import EvaluationError, StoreError, TermsError
from sla_engine.ingest.timeparse import PLAUSIBLE_FROM, PLAUSIBLE_TEXT, PLAUSIBLE_TO
from sla_engine.ledger import core as ledger
from sla_engine.reports.credits import monthly_credits, with_status
from sla_engine.rulebook.engine import aggregate_report, evaluate_relation
from sla_engine.rulebook.terms import Terms
from sla_engine.sqlfiles import one_row, sql
from sla_engine.store.core import Store
from sla_engine.store.gen_files import open_inputs


def now_us() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)


def parse_as_of(text: str | None) -> int:
    """--as-of value (ISO 8601 with offset) -> UTC microseconds; None = now."""
    if not text:
        return now_us()
    try:
        ts = pd.Timestamp(text)
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
        raise EvaluationError(
            f"--as-of {text!r} is not an instant; write e.g. 2025-07-01T00:00:00+00:00"
        ) from exc
    if ts.tzinfo is None:
        raise EvaluationError(
            f"--as-of {text!r} has no UTC offset; write e.g. 2025-07-01T00:00:00+00:00"
        )
    if not PLAUSIBLE_FROM <= ts < PLAUSIBLE_TO:
        raise EvaluationError(f"--as-of {text!r} is {PLAUSIBLE_TEXT}")
    return int(ts.tz_convert("UTC").value // 1000)


def month_window_us(month: str) -> tuple[int, int]:
    """UTC microseconds from a day before the UTC month 'YYYY-MM' to a day after it: every ticket
    whose local creation month is `month`, in any zone, was created in this window."""
    start = pd.Timestamp(f"{month}-01", tz="UTC")
    end = start + pd.offsets.MonthBegin(1)
    day = pd.Timedelta(days=1)
    return int((start - day).value // 1000), int((end + day).value // 1000)


def evaluate_to_table(con: duckdb.DuckDBPyConnection, terms: list[Terms], as_of_us: int) -> int:
    """Materialise narrow per-ticket results as temp table `per_ticket`.

    Returns how many tickets were left out because no terms version in force has a tier for their
    severity, or none is in force at their creation (callers warn about them).
    """
    rel = evaluate_relation(con, terms, as_of_us)
    con.execute("CREATE OR REPLACE TEMP TABLE per_ticket AS " + rel.sql_query())
    eligible = one_row(
        con, "SELECT count(*) FROM tickets WHERE created_us <= getvariable('as_of')"
    )[0]
    got = one_row(con, "SELECT count(*) FROM per_ticket")[0]
    return int(eligible - got)


def per_ticket_frame(
    con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None
) -> pd.DataFrame:
    """Named per-ticket results (after evaluate_to_table); `where` filters with bound params."""
    query = "SELECT * FROM (" + sql("per_ticket") + ") " + (f"WHERE {where}" if where else "")
    return con.execute(query + " ORDER BY contract_id, ticket_id", params or []).df()


def monthly_report(
    con: duckdb.DuckDBPyConnection, terms: list[Terms], as_of_us: int | None = None
) -> pd.DataFrame:
    """Compliance per contract x month x tier x metric, with status.

    With `as_of_us` the per-ticket evaluation is streamed straight into the aggregation (nothing
    materialised); without it, it reads the `per_ticket` table left by evaluate_to_table.
    """
    if as_of_us is None:
        rep = aggregate_report(con, "SELECT * FROM per_ticket")
    else:
        rep = aggregate_report(con, evaluate_relation(con, terms, as_of_us).sql_query())
    return _finish(rep, terms)


def _finish(rep: pd.DataFrame, terms: list[Terms]) -> pd.DataFrame:
    rep["month"] = pd.to_datetime(rep["month"]).dt.strftime("%Y-%m")
    return with_status(rep, {t.terms_id: t for t in terms})


def store_report(
    store: Store, as_of_us: int, contract: str | None = None, build_ledger: bool = True
) -> tuple[pd.DataFrame, str]:
    """Monthly report of the store's current generation; returns (report, how it was computed).

    'ledger': final tickets read from the generation's SLA ledger, open ones evaluated now (the
    usual
    case); 'full': every ticket evaluated now — for an instant before the ledger's latest fact, or
    when the ledger cannot be written (read-only store) and `build_ledger` is off.
    """
    gen = store.current()
    if gen is None:
        raise StoreError(
            f"the store {store.root} is empty: ingest an export or run `python -m sla_engine demo`"
        )
    terms = store.terms()
    if not terms:
        raise EvaluationError("no SLA terms registered: `python -m sla_engine terms add FILE`")
    if contract is not None and contract not in {t.contract_id for t in terms}:
        raise TermsError(
            f"no SLA terms registered for contract {contract}: `python -m sla_engine terms add "
            f"FILE`"
        )
    rep, how = generation_report(gen, terms, as_of_us, build_ledger)
    if contract is not None:
        rep = rep[rep["contract_id"] == contract].reset_index(drop=True)
    return _finish(rep, terms), how


def credits(report: pd.DataFrame, terms: list[Terms]) -> pd.DataFrame:
    return monthly_credits(report, {t.terms_id: t for t in terms})


def generation_report(
    gen: Path, terms: list[Terms], as_of_us: int, build_ledger: bool = True
) -> tuple[pd.DataFrame, str]:
    """Raw monthly rows of one generation directory (see store_report), and 'ledger' or 'full'."""
    led = ledger.load(gen, terms)
    if led is None and build_ledger:
        led = ledger.build(gen, terms, ledger.latest(gen))
    if led is not None and as_of_us >= led.settled_us:
        return ledger.monthly_report(led, terms, as_of_us), "ledger"
    con = open_inputs(gen)
    return aggregate_report(con, evaluate_relation(con, terms, as_of_us).sql_query()), "full"
