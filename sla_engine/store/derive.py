"""Canonical tickets + change events -> the three relations the engine reads.

tickets:      tid, ticket_id, contract_id, severity, created_us, first_response_us, resolved_us,
has_history
status_log:   tid, status (lower-case), start_us, end_us (NULL = current status)
severity_log: tid, start_us, severity (first value backdated to creation; repeats collapsed)
"""

from __future__ import annotations

import duckdb
import pandas as pd

from sla_engine.sqlfiles import sql

TICKET_COLUMNS = [
    "contract_id",
    "ticket_id",
    "severity",
    "created_us",
    "first_response_us",
    "resolved_us",
]
EVENT_COLUMNS = ["contract_id", "ticket_id", "changed_us", "field", "value"]


def derive(con: duckdb.DuckDBPyConnection, keep_numbered: bool = False, tid_base: int = 0) -> None:
    """Create tickets/status_log/severity_log from relations `t_in` and `e_in` in `con`.

    With `keep_numbered`, table n_t (t_in with its tid, held in tid order, which is the
    (contract_id, ticket_id) order) is kept, for a caller to write it sorted without sorting.
    Tids start above `tid_base` (a small batch's layer: gen_files.py)."""
    con.execute("SET VARIABLE tid_base = ?", [int(tid_base)])
    con.execute(sql("normalize"))
    if not keep_numbered:
        con.execute("DROP TABLE n_t")


def load_frames(
    con: duckdb.DuckDBPyConnection, tickets: pd.DataFrame, events: pd.DataFrame
) -> None:
    """Register validated frames as t_in/e_in and derive the engine's relations."""
    t = tickets[TICKET_COLUMNS].copy()
    ev = events[EVENT_COLUMNS].copy()
    ev["seq"] = range(len(ev))
    con.register("_t_df", t)
    con.register("_e_df", ev)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t_in AS SELECT contract_id::VARCHAR AS contract_id, "
        "ticket_id::VARCHAR AS ticket_id,"
        " severity::VARCHAR AS severity, created_us::BIGINT AS created_us, "
        "first_response_us::BIGINT AS first_response_us,"
        " resolved_us::BIGINT AS resolved_us FROM _t_df"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE e_in AS SELECT contract_id::VARCHAR AS contract_id, "
        "ticket_id::VARCHAR AS ticket_id,"
        " changed_us::BIGINT AS changed_us, field::VARCHAR AS field, value::VARCHAR AS value, "
        "seq::BIGINT AS seq FROM _e_df"
    )
    con.unregister("_t_df")
    con.unregister("_e_df")
    derive(con)
