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
from .errors import CalendarError, EvaluationError
from .terms import Terms

MIN_US = 60_000_000
FAR_FUTURE_US = 253_402_300_799 * 1_000_000  # 9999-12-31


def local_midnight_us(day, tz: str) -> int:
    """Start of a local calendar day in UTC microseconds."""
    dt = datetime.combine(day, time(0), ZoneInfo(tz))
    return int(dt.timestamp()) * 1_000_000


def terms_frames(terms: list[Terms], cal_bases: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Small tables describing every terms version x tier (joined by integer keys)."""
    tiers, statuses = [], []
    for terms_key, t in enumerate(terms, start=1):
        tz = t.calendar.timezone
        to_us = (
            local_midnight_us(t.effective_to + timedelta(days=1), tz) if t.effective_to else FAR_FUTURE_US
        )
        for name, tier in t.tiers.items():
            tiers.append(
                {
                    "tier_key": len(tiers) + 1,
                    "terms_key": terms_key,
                    "terms_id": t.terms_id,
                    "contract_id": t.contract_id,
                    "severity": name,
                    "from_us": local_midnight_us(t.effective_from, tz),
                    "to_us": to_us,
                    "cal_base": cal_bases[t.calendar.fingerprint()],
                    "met_when_equal": t.met_when_equal,
                    "retro": t.severity_change == "retroactive",
                    "resp_us": round(tier.response_minutes * MIN_US),
                    "res_us": round(tier.resolution_minutes * MIN_US),
                    "business": tier.clock == "business",
                    "target_pct": tier.target_pct,
                    "timezone": tz,
                }
            )
        for s in t.pause_statuses:
            statuses.append({"terms_key": terms_key, "status": s.strip().lower(), "kind": "pause"})
        for s in t.resolved_statuses:
            statuses.append({"terms_key": terms_key, "status": s.strip().lower(), "kind": "resolved"})
    status_df = pd.DataFrame(statuses, columns=["terms_key", "status", "kind"]).astype(
        {"terms_key": "int64", "status": "string", "kind": "string"}
    )
    return {"t_tiers": pd.DataFrame(tiers), "t_status": status_df}


def calendar_frame(terms: list[Terms], start_us: int, end_us: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Hourly lookup rows for every distinct calendar, and each calendar's key base.

    Keys are dense (block i holds calendar i's hours), so DuckDB can use a perfect hash join.
    """
    frames: list[pd.DataFrame] = []
    bases: dict[str, int] = {}
    offset = 0
    for t in terms:
        cal_id = t.calendar.fingerprint()
        if cal_id in bases:
            continue
        table = build_table(t.calendar, start_us, end_us).frame
        seg = table[["s1", "e1", "s2", "e2"]].to_numpy()
        if (seg % 60_000_000).any() or (table["cum_us"] % 1_000_000).any():
            raise CalendarError(
                f"calendar {t.calendar.timezone}: business hours must start and end on whole minutes of UTC"
                " (a zone with a seconds offset cannot be packed)"
            )
        first = int(table["bucket"].iloc[0])
        bases[cal_id] = offset - first
        table.insert(0, "ckey", table["bucket"] + bases[cal_id])
        frames.append(table.drop(columns=["bucket"]))
        offset += len(table)
    return pd.concat(frames, ignore_index=True), bases


def install(con: duckdb.DuckDBPyConnection, terms: list[Terms], start_us: int, end_us: int) -> None:
    """Create the macro, terms tables and calendar lookup in this connection."""
    from .sqlfiles import sql

    if not terms:
        raise EvaluationError("no SLA terms given: nothing to judge tickets against")
    con.execute(sql("macros"))
    cal, bases = calendar_frame(terms, start_us, end_us)
    tables = terms_frames(terms, bases) | {"t_cal": cal}
    for name, frame in tables.items():
        con.register(f"_{name}_df", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_df")
        con.unregister(f"_{name}_df")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t_cal_l AS SELECT"
        " list(((cum_us // 1000000) << 2) | CASE WHEN e1 = 0 THEN 0 WHEN s1 = 0 AND e1 = 3600000000 AND e2 = 0"
        " THEN 1 ELSE 2 END ORDER BY ckey) AS q,"
        " list(((s1 // 60000000) << 18) | ((e1 // 60000000) << 12) | ((s2 // 60000000) << 6) | (e2 // 60000000)"
        " ORDER BY ckey) AS seg,"
        " list(offset_us ORDER BY ckey) AS off FROM t_cal"
    )


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
