"""The time columns of a validated export: which cells SQL reads (ISO 8601, naive in a zone DuckDB
knows), the rest through timeparse.parse_instants with the column's layouts, and what a column's
values say about its day/month order (dateorder), counted in one scan."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from sla_engine.ingest import dateorder
from sla_engine.ingest.timeparse import parse_instants
from sla_engine.sqlfiles import fetch, one_row

TIME_FIELDS = ("created_at", "first_response_at", "resolved_at")
# a character Python's str.strip() keeps (a cell with one is filled)
_NOT_SPACE = r"[^\t\n\x{0b}\x{0c}\r\x{1c}-\x{1f}\x{85}\p{Z}]"


def read_in_sql(fields: dict[str, str]) -> str:
    """Select-list: for each time column (column -> stem), whether it is blank, whether SQL reads
    it, and the instant SQL reads."""
    return ", ".join(
        f"blank_text({c}) AS _{s}_b, iso_aware({c}) AS _{s}_a,"
        f" _{s}_a OR sql_reads_naive({c}) AS _{s}_s,"
        f" CASE WHEN _{s}_a THEN aware_us({c}) WHEN _{s}_s THEN sql_instant_naive({c}) END"
        f" AS _{s}_u"
        for c, s in fields.items()
    )


def read_rest(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    fields: dict[str, str],
    tz: str | None,
    layouts: dict[str, tuple[str, ...]],
) -> tuple[str, str]:
    """The cells SQL did not read, through parse_instants (with the column's layouts), as they
    always were. Returns (joins, select-list) giving `<stem>_us`, `<stem>_blank`, `<stem>_bad`."""
    joins, cols = [], []
    for c, s in fields.items():
        rest = fetch(
            con,
            f"SELECT _pos, {c} AS raw FROM {table} WHERE {where} AND NOT _{s}_b AND NOT _{s}_s",
        )
        if not len(rest):
            cols.append(
                f"r._{s}_u AS {s}_us, r._{s}_b AS {s}_blank,"
                f" r._{s}_s AND r._{s}_u IS NULL AS {s}_bad"
            )
            continue
        us, blank, bad = parse_instants(rest["raw"], tz, layouts[c])
        fb = pa.table(
            {
                "_pos": pa.array(rest["_pos"].astype("int64").to_numpy()),
                "u": pa.array(us.astype("Int64"), type=pa.int64()),
                "b": pa.array(blank.to_numpy(dtype=bool)),
                "x": pa.array(bad.to_numpy(dtype=bool)),
            }
        )
        con.register(f"_fb_{s}", fb)
        con.execute(f"CREATE OR REPLACE TEMP TABLE v_fb_{s} AS SELECT * FROM _fb_{s}")
        con.unregister(f"_fb_{s}")
        joins.append(f"LEFT JOIN v_fb_{s} ON v_fb_{s}._pos = r._pos")
        cols.append(
            f"coalesce(r._{s}_u, v_fb_{s}.u) AS {s}_us, r._{s}_b OR coalesce(v_fb_{s}.b, false) AS"
            f" {s}_blank, (r._{s}_s AND r._{s}_u IS NULL) OR coalesce(v_fb_{s}.x, false) AS {s}_bad"
        )
    return " ".join(joins), ", ".join(cols)


def evidence(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], where: str
) -> dict[str, tuple[dateorder.Evidence, str, int]]:
    """What each time column's values say about day/month order (dateorder.evidence, in SQL, one
    scan for all the columns), with an example numeric date of each and how many there are."""
    exprs, params = [], []
    for c in columns:
        hit = f"regexp_matches({c}, ?)"
        exprs.append(
            f"count(*) FILTER (WHERE regexp_matches({c}, '{_NOT_SPACE}')),"
            f" count(*) FILTER (WHERE {hit}),"
            f" coalesce(bool_or(try_cast(regexp_extract({c}, ?, 1) AS INT) > 12)"
            f" FILTER (WHERE {hit}), false),"
            f" coalesce(bool_or(try_cast(regexp_extract({c}, ?, 2) AS INT) > 12)"
            f" FILTER (WHERE {hit}), false),"
            f" coalesce(arg_min({c}, _pos) FILTER (WHERE {hit}), '')"
        )
        numeric, has = dateorder.NUMERIC, dateorder.HAS_NUMERIC
        params += [has, numeric, has, numeric, has, has]
    row = one_row(con, f"SELECT {', '.join(exprs)} FROM {table} WHERE {where}", params)
    out = {}
    for i, c in enumerate(columns):
        filled, numeric_n, first_big, second_big, example = row[5 * i : 5 * i + 5]
        out[c] = (
            dateorder.judge(int(filled), int(numeric_n), bool(first_big), bool(second_big)),
            str(example),
            int(numeric_n),
        )
    return out
