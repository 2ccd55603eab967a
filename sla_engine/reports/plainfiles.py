"""The engine on plain files (no store): tickets CSV, optional history CSV, terms."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from sla_engine.errors import EvaluationError
from sla_engine.ingest.profiles import generic
from sla_engine.ingest.profiles.history import read_history_columns
from sla_engine.ingest.readers import read_table
from sla_engine.ingest.validate import validate
from sla_engine.rulebook.terms import Terms
from sla_engine.store.derive import load_frames


def load_plain(
    con: duckdb.DuckDBPyConnection,
    tickets_path: str | Path,
    history_path: str | Path | None,
    terms: list[Terms],
    tz: str | None = None,
) -> None:
    """Read and check the files strictly: any unusable row is an error naming file, row and
    column."""
    by_contract: dict[str, list[Terms]] = {}
    for t in terms:
        by_contract.setdefault(t.contract_id, []).append(t)
    ex = generic.read(read_table(tickets_path), str(tickets_path))
    if history_path is not None:
        ex.events, ex.rejected = read_history_columns(read_table(history_path), str(history_path))
    v = validate(
        ex, str(tickets_path), tz, None, by_contract, str(history_path) if history_path else None
    )
    if len(v.quarantine):
        lines = [
            f"{r.file}: row {r.row}, column {r.column}: {r.reason}"
            for r in v.quarantine.head(20).itertuples()
        ]
        more = f"\n... and {len(v.quarantine) - 20} more" if len(v.quarantine) > 20 else ""
        raise EvaluationError("unusable rows:\n" + "\n".join(lines) + more)
    load_frames(con, v.tickets, v.events)


def results_csv_frame(per_ticket: pd.DataFrame) -> pd.DataFrame:
    """The `evaluate` output columns: minutes as decimals, met as true/false/empty."""

    def met(s: pd.Series) -> pd.Series:
        return s.map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))

    def minutes(s: pd.Series) -> pd.Series:
        return (s.astype("float64") / 60e6).round(4)

    return pd.DataFrame(
        {
            "ticket_id": per_ticket["ticket_id"],
            "contract_id": per_ticket["contract_id"],
            "severity": per_ticket["severity"],
            "month": pd.to_datetime(per_ticket["month"]).dt.strftime("%Y-%m"),
            "response_minutes": minutes(per_ticket["resp_el"]),
            "response_target_minutes": minutes(per_ticket["resp_target"]),
            "response_met": met(per_ticket["resp_met"]),
            "resolution_minutes": minutes(per_ticket["res_el"]),
            "resolution_target_minutes": minutes(per_ticket["res_target"]),
            "resolution_met": met(per_ticket["res_met"]),
            "paused_minutes": minutes(per_ticket["paused"]),
            "terms_version": per_ticket["terms_id"],
        }
    )
