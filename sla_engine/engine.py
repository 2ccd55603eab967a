"""Run the per-ticket evaluation in DuckDB over whatever relations hold the tickets.

The caller registers `tickets`, `status_log` and `severity_log` (views over the
store's Parquet files, or DataFrames from plain files); this module adds the
terms tables and calendar lookups and runs evaluate.sql.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from .calendar import build_table
from .errors import EvaluationError
from .terms import Terms

MIN_US = 60_000_000
CAL_STRIDE = 1_000_000_000  # ckey = cal_index * CAL_STRIDE + UTC hour number
FAR_FUTURE_US = 253_402_300_799 * 1_000_000  # 9999-12-31


def local_midnight_us(day, tz: str) -> int:
    """Start of a local calendar day in UTC microseconds."""
    dt = datetime.combine(day, time(0), ZoneInfo(tz))
    return int(dt.timestamp()) * 1_000_000


def terms_frames(terms: list[Terms]) -> dict[str, pd.DataFrame]:
    """Small tables describing every terms version (joined by terms_id)."""
    cal_index: dict[str, int] = {}
    rows, tiers, statuses = [], [], []
    for t in terms:
        cal_id = t.calendar.fingerprint()
        idx = cal_index.setdefault(cal_id, len(cal_index) + 1)
        tz = t.calendar.timezone
        to_us = (
            local_midnight_us(t.effective_to + timedelta(days=1), tz) if t.effective_to else FAR_FUTURE_US
        )
        rows.append(
            {
                "terms_id": t.terms_id,
                "contract_id": t.contract_id,
                "from_us": local_midnight_us(t.effective_from, tz),
                "to_us": to_us,
                "cal_id": cal_id,
                "cal_base": idx * CAL_STRIDE,
                "met_when_equal": t.met_when_equal,
                "retro": t.severity_change == "retroactive",
                "timezone": tz,
            }
        )
        for name, tier in t.tiers.items():
            tiers.append(
                {
                    "terms_id": t.terms_id,
                    "severity": name,
                    "resp_us": round(tier.response_minutes * MIN_US),
                    "res_us": round(tier.resolution_minutes * MIN_US),
                    "business": tier.clock == "business",
                    "target_pct": tier.target_pct,
                }
            )
        for s in t.pause_statuses:
            statuses.append({"terms_id": t.terms_id, "status": s.strip().lower(), "kind": "pause"})
        for s in t.resolved_statuses:
            statuses.append({"terms_id": t.terms_id, "status": s.strip().lower(), "kind": "resolved"})
    status_df = pd.DataFrame(statuses, columns=["terms_id", "status", "kind"]).astype(
        {"terms_id": "string", "status": "string", "kind": "string"}
    )
    return {
        "t_terms": pd.DataFrame(rows),
        "t_tiers": pd.DataFrame(tiers),
        "t_status": status_df,
    }


def calendar_frame(terms: list[Terms], start_us: int, end_us: int) -> pd.DataFrame:
    """Hourly lookup rows for every distinct calendar, keyed by ckey."""
    frames = []
    seen: dict[str, int] = {}
    for t in terms:
        cal_id = t.calendar.fingerprint()
        if cal_id in seen:
            continue
        seen[cal_id] = len(seen) + 1
        table = build_table(t.calendar, start_us, end_us).frame
        table.insert(0, "ckey", table["bucket"] + seen[cal_id] * CAL_STRIDE)
        frames.append(table.drop(columns=["bucket"]))
    return pd.concat(frames, ignore_index=True)


def install(con: duckdb.DuckDBPyConnection, terms: list[Terms], start_us: int, end_us: int) -> None:
    """Create the macro, terms tables and calendar lookup in this connection."""
    from .sqlfiles import sql

    if not terms:
        raise EvaluationError("no SLA terms given: nothing to judge tickets against")
    con.execute(sql("macros"))
    for name, frame in terms_frames(terms).items():
        con.register(f"_{name}_df", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_df")
        con.unregister(f"_{name}_df")
    cal = calendar_frame(terms, start_us, end_us)
    con.register("_t_cal_df", cal)
    con.execute("CREATE OR REPLACE TEMP TABLE t_cal AS SELECT * FROM _t_cal_df")
    con.unregister("_t_cal_df")


def time_span(con: duckdb.DuckDBPyConnection, as_of_us: int) -> tuple[int, int]:
    """Earliest and latest instants the calendar lookup must cover."""
    row = con.execute(
        "SELECT min(created_us) FROM tickets WHERE created_us <= ?", [int(as_of_us)]
    ).fetchone()
    lo = row[0] if row and row[0] is not None else as_of_us
    return int(lo), int(as_of_us)


def evaluate_relation(con: duckdb.DuckDBPyConnection, terms: list[Terms], as_of_us: int) -> duckdb.DuckDBPyRelation:
    """Per-ticket results as a DuckDB relation (lazy: callers aggregate or fetch)."""
    from .sqlfiles import sql

    lo, hi = time_span(con, as_of_us)
    install(con, terms, lo, hi)
    con.execute("SET VARIABLE as_of = ?", [int(as_of_us)])
    return con.sql(sql("evaluate"))
