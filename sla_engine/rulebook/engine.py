"""Run the per-ticket evaluation in DuckDB over whatever relations hold the tickets.

The caller registers `tickets`, `status_log` and `severity_log` (views over the
store's Parquet files, or DataFrames from plain files); this module adds the
terms tables and calendar lookups and runs evaluate.sql.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

import config
from sla_engine.errors import CalendarError, EvaluationError
from sla_engine.rulebook.calendar import build_table
from sla_engine.rulebook.terms import Calendar, Terms, spellings
from sla_engine.sqlfiles import one_row

MIN_US = 60_000_000
INPUTS = ("tickets", "status_log", "severity_log")  # what evaluate.sql reads
FAR_FUTURE_US = 253_402_300_799 * 1_000_000  # 9999-12-31


def local_midnight_us(day, tz: str) -> int:
    """Start of a local calendar day in UTC microseconds."""
    dt = datetime.combine(day, time(0), ZoneInfo(tz))
    return int(dt.timestamp()) * 1_000_000


def terms_frames(terms: list[Terms], cal_bases: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Small tables describing every terms version x tier (joined by integer keys)."""
    tiers: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    for terms_key, t in enumerate(terms, start=1):
        tz = t.calendar.timezone
        to_us = (
            local_midnight_us(t.effective_to + timedelta(days=1), tz)
            if t.effective_to
            else FAR_FUTURE_US
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
        for kind, names in (("pause", t.pause_statuses), ("resolved", t.resolved_statuses)):
            statuses += [
                {"terms_key": terms_key, "status": v, "kind": kind}
                for s in names
                for v in sorted(spellings(s))
            ]
    status_df = pd.DataFrame(statuses, columns=["terms_key", "status", "kind"]).astype(
        {"terms_key": "int64", "status": "string", "kind": "string"}
    )
    return {"t_tiers": pd.DataFrame(tiers), "t_status": status_df}


def year_span(start_us: int, end_us: int) -> tuple[int, int]:
    """Whole UTC years around [start, end], so that the same tables serve many reports."""
    y0 = datetime.fromtimestamp(start_us / 1e6, UTC).year
    y1 = datetime.fromtimestamp(end_us / 1e6, UTC).year
    return (
        int(datetime(y0, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000,
        int(datetime(y1, 12, 31, 23, tzinfo=UTC).timestamp()) * 1_000_000,
    )


def cached_table(cal: Calendar, start_us: int, end_us: int) -> Path:
    """Parquet file of build_table(...).frame, from the on-disk cache or built and stored now.

    Keyed by calendar fingerprint, range, holidays version and engine version, so a changed
    calendar or a new holidays release never reads a stale table.
    """
    import holidays as holidays_pkg

    from sla_engine import __version__

    key = f"{cal.fingerprint()}-{start_us}-{end_us}-h{holidays_pkg.__version__}-e{__version__}"
    path = calendar_cache_dir() / f"{key}.parquet"
    if path.exists():
        return path
    frame = build_table(cal, start_us, end_us).frame
    seg = frame[["s1", "e1", "s2", "e2"]].to_numpy()
    if (seg % 60_000_000).any() or (frame["cum_us"] % 1_000_000).any():
        raise CalendarError(
            f"calendar {cal.timezone}: business hours must start and end on whole minutes of UTC"
            " (a zone with a seconds offset cannot be packed)"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only cache slows later runs down; it must not stop this one
        warnings.warn(
            f"calendar cache {path.parent} not writable ({exc}); using a temporary directory",
            stacklevel=2,
        )
        path = Path(tempfile.mkdtemp(prefix="covenant-cal-")) / path.name
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    frame.to_parquet(tmp)
    os.replace(tmp, path)
    return path


def calendar_cache_dir() -> Path:
    """$COVENANT_CACHE, else ~/.cache/covenant/calendars."""
    root = config.get("COVENANT_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "covenant" / "calendars"


def install(con: duckdb.DuckDBPyConnection, terms: list[Terms], start_us: int, end_us: int) -> None:
    """Create the macros, terms tables and calendar lookup lists in this connection.

    Calendar i's hours occupy a dense block of the lists; hour h of it is at index cal_base + h + 1.
    """
    from sla_engine.sqlfiles import sql

    if not terms:
        raise EvaluationError("no SLA terms given: nothing to judge tickets against")
    con.execute(sql("macros"))
    span = year_span(start_us, end_us)
    files: dict[str, Path] = {}
    for t in terms:
        files.setdefault(t.calendar.fingerprint(), cached_table(t.calendar, *span))
    bases: dict[str, int] = {}
    rels = []
    offset = 0
    for cal_id, path in files.items():
        rel = con.read_parquet(str(path))
        first, n = rel.aggregate("min(bucket), count(*)").fetchall()[0]
        bases[cal_id] = offset - int(first)
        rels.append(
            rel.project(f"bucket + {bases[cal_id]:d} AS ckey, cum_us, s1, e1, s2, e2, offset_us")
        )
        offset += int(n)
    union = rels[0]
    for r in rels[1:]:
        union = union.union(r)
    union.create("t_cal_u")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t_cal_l AS SELECT"
        " list(((cum_us // 1000000) << 2) | CASE WHEN e1 = 0 THEN 0 WHEN s1 = 0 AND e1 = "
        "3600000000 AND e2 = 0"
        " THEN 1 ELSE 2 END ORDER BY ckey) AS q,"
        " list(((s1 // 60000000) << 18) | ((e1 // 60000000) << 12) | ((s2 // 60000000) << 6) | (e2 "
        "// 60000000)"
        " ORDER BY ckey) AS seg,"
        " list(offset_us ORDER BY ckey) AS off FROM t_cal_u"
    )
    # the same hours as rows keyed by their 1-based position: the many tickets without history
    # read their three hours by a join, cheaper than carrying the lists into every row
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t_cal_rows AS SELECT generate_subscripts(q, 1) AS k,"
        " unnest(q) AS q, unnest(seg) AS seg, unnest(off) AS off FROM t_cal_l"
    )
    con.execute("DROP TABLE t_cal_u")
    for name, frame in terms_frames(terms, bases).items():
        con.register(f"_{name}_df", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_df")
        con.unregister(f"_{name}_df")


def time_span(con: duckdb.DuckDBPyConnection, as_of_us: int) -> tuple[int, int]:
    """Earliest and latest instants the calendar lookup must cover."""
    row = con.execute(
        "SELECT min(created_us) FROM tickets WHERE created_us <= ?", [int(as_of_us)]
    ).fetchone()
    lo = row[0] if row and row[0] is not None else as_of_us
    return int(lo), int(as_of_us)


def evaluate_relation(
    con: duckdb.DuckDBPyConnection, terms: list[Terms], as_of_us: int
) -> duckdb.DuckDBPyRelation:
    """Per-ticket results as a DuckDB relation (lazy: callers aggregate or fetch)."""
    from sla_engine.sqlfiles import sql

    prepare(con, terms, as_of_us)
    return con.sql(sql("evaluate"))


def latest_fact(con: duckdb.DuckDBPyConnection) -> int:
    """The latest instant the tickets in `con` record (0 for none): an evaluation at or after it
    sees every fact, so its results are those of any later instant but for open metrics' time."""
    return int(
        one_row(
            con,
            "SELECT greatest((SELECT max(greatest(created_us, coalesce(first_response_us, 0), "
            "coalesce(resolved_us, 0))) FROM tickets),"
            " (SELECT max(greatest(start_us, coalesce(end_us, 0))) FROM status_log),"
            " (SELECT max(start_us) FROM severity_log))",
        )[0]
        or 0
    )


def prepare(con: duckdb.DuckDBPyConnection, terms: list[Terms], as_of_us: int) -> None:
    """Terms tables, calendar lookups and the evaluation instant for evaluate.sql in `con`."""
    lo, hi = time_span(con, as_of_us)
    install(con, terms, lo, hi)
    con.execute("SET VARIABLE as_of = ?", [int(as_of_us)])


def narrow_tickets(con: duckdb.DuckDBPyConnection, condition: str, params: list) -> None:
    """Only the tickets meeting `condition` (SQL with bound `params`) are evaluated in `con`: a
    ticket's figures depend on nothing but its own facts, so a page explains a few cheaply."""
    con.execute(f"CREATE TEMP TABLE picked AS SELECT * FROM tickets WHERE {condition}", params)
    con.execute("CREATE OR REPLACE TEMP VIEW tickets AS SELECT * FROM picked")


def aggregate_report(con: duckdb.DuckDBPyConnection, per_ticket_sql: str) -> pd.DataFrame:
    """report.sql over a per-ticket query (streamed: nothing materialised), ordered by contract,
    month, tier, metric."""
    return aggregate_per_metric(con, None, per_ticket_sql)


# each ticket counts once per metric, in its own tier for that metric
TICKET_METRICS = (
    "SELECT resp_tier_key AS tier_key, month, 'response' AS metric, resp_met AS met, 1 AS n FROM pt"
    " UNION ALL SELECT res_tier_key, month, 'resolution', res_met, 1 FROM pt"
)


def aggregate_per_metric(
    con: duckdb.DuckDBPyConnection, per_metric_sql: str | None, per_ticket_sql: str | None
) -> pd.DataFrame:
    """report.sql over counted rows (tier_key, month, metric, met, n), per-ticket rows, or both."""
    from sla_engine.sqlfiles import sql

    ctes, parts = [], []
    if per_ticket_sql is not None:
        ctes.append(f"pt AS ({per_ticket_sql})")
        parts.append(TICKET_METRICS)
    if per_metric_sql is not None:
        parts.append(per_metric_sql)
    ctes.append("per_metric AS (" + " UNION ALL ".join(parts) + ")")
    return con.execute("WITH " + ", ".join(ctes) + " SELECT * FROM (" + sql("report") + ")").df()
