"""Every figure checked ticket by ticket: the per-ticket results from the store, with the instants
the engine derived and the inferences the ingest made (`python -m sla_engine tickets`)."""

from __future__ import annotations

import re

import pandas as pd

from sla_engine.errors import EvaluationError
from sla_engine.reports.analysis import evaluate_to_table, per_ticket_frame
from sla_engine.reports.plainfiles import results_csv_frame
from sla_engine.sqlfiles import connect
from sla_engine.store.core import Store, require_terms

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _iso(us: pd.Series) -> pd.Series:
    """UTC microseconds -> ISO 8601 in UTC ('' when not known)."""
    ts = pd.to_datetime(us.astype("Int64"), unit="us", utc=True)
    return ts.map(lambda t: "" if pd.isna(t) else t.strftime("%Y-%m-%dT%H:%M:%SZ"))


def ticket_figures(
    store: Store, as_of_us: int, contract: str | None = None, month: str | None = None
) -> pd.DataFrame:
    """The columns of `evaluate`, plus created_at, first_response_at and resolved_at as the engine
    derived them, and `notes` naming any inference (resolution taken from status, paused since
    pending-since, first response from reply minutes, ...)."""
    if month is not None and not MONTH.match(month):
        raise EvaluationError(f"--month {month!r}: write it as YYYY-MM, e.g. 2025-03")
    terms = [
        t
        for versions in require_terms(store, contract).values()
        for t in versions
        if contract is None or t.contract_id == contract
    ]
    con = connect()
    store.attach(con, only_contract=contract)
    evaluate_to_table(con, terms, as_of_us)
    where, params = "", []
    if month is not None:
        where, params = "strftime(month, '%Y-%m') = ?", [month]
    pt = per_ticket_frame(con, where, params)
    out = results_csv_frame(pt)
    out.insert(4, "created_at", _iso(pt["created_us"]))
    out.insert(5, "first_response_at", _iso(pt["resp_at"]))
    out.insert(6, "resolved_at", _iso(pt["res_at"]))
    cols = {r[0] for r in con.execute("DESCRIBE base").fetchall()}
    if "notes" in cols:
        notes = con.execute("SELECT contract_id, ticket_id, notes FROM base").df()
        out = out.merge(notes, how="left", on=["contract_id", "ticket_id"])
    else:  # a store ingested before per-ticket notes were kept
        out["notes"] = ""
    out["notes"] = out["notes"].fillna("")
    return out.reset_index(drop=True)
