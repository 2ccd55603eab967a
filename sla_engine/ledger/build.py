"""How an SLA ledger folder is written: the tickets judged in chunks under a memory limit, the
parts, voids, totals and open tickets (layout: ledger_files.py; when to build which: ledger.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from sla_engine.ledger.files import KEY, Ledger, finals
from sla_engine.rulebook.engine import INPUTS, latest_fact, prepare
from sla_engine.rulebook.terms import Terms
from sla_engine.sqlfiles import file_list, one_row, quote, sql
from sla_engine.store.gen_files import layer_file, link, open_inputs, relation_sql

BUILD_MEMORY = "1GB"  # DuckDB spills to the build's temp folder beyond this
CHUNK = 1_000_000  # tickets evaluated at once by a build: its memory does not grow with the store


def _settings(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    """Bounded memory: beyond BUILD_MEMORY, joins, sorts and windows spill to the build folder."""
    con.execute(f"SET memory_limit = '{BUILD_MEMORY}'")
    con.execute(f"SET temp_directory = {quote(tmp / 'spill')}")
    con.execute("SET preserve_insertion_order = false")


def _judge(
    con: duckdb.DuckDBPyConnection,
    terms: list[Terms],
    settled: int,
    tmp: Path,
    src: dict[str, str],
    part: int,
) -> None:
    """Evaluate the tickets of `src` (input name -> relation) once, CHUNK ticket ids at a time so
    that memory stays flat however many there are, into the files of part `part`: identity,
    terms and tier names, verdicts, and whether the ticket is final. Leaves the view `judged`."""
    con.execute("SET VARIABLE part = ?", [part])
    _point(con, src)
    prepare(con, terms, settled)
    lo, hi, n = one_row(con, "SELECT min(tid), max(tid), count(*) FROM tickets")
    lo, hi = int(lo or 0), int(hi or 0)
    step = (
        CHUNK if n > CHUNK else hi - lo + 1
    )  # a few scattered tickets: one pass, not one per range
    files = []
    for k, start in enumerate(range(lo, hi + 1, max(step, 1))):
        # tid is an integer: the bounds are ours, not a stranger's text
        _point(con, src, f"WHERE tid BETWEEN {start:d} AND {start + step - 1:d}")
        files.append(tmp / f"part-{part:04d}-{k:03d}.parquet")
        con.execute(
            f"COPY (WITH ev AS ({sql('evaluate')}) {sql('ledger_judged')}) "
            f"TO {quote(files[-1])} (FORMAT parquet)"
        )
    _point(con, src)
    if files:
        con.execute(f"CREATE OR REPLACE TEMP VIEW judged AS FROM read_parquet({file_list(files)})")
    else:  # no ticket at all: an empty ledger
        con.execute(
            "CREATE OR REPLACE TEMP TABLE judged (contract_id VARCHAR, ticket_id VARCHAR, "
            "tid BIGINT, terms_id VARCHAR, month DATE, resp_sev VARCHAR, res_sev VARCHAR, "
            "resp_met BOOLEAN, res_met BOOLEAN, final BOOLEAN, part INTEGER)"
        )


def _point(con: duckdb.DuckDBPyConnection, src: dict[str, str], where: str = "") -> None:
    """The evaluation's input views (evaluate.sql reads these names) over `src`, filtered."""
    for name in INPUTS:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {src[name]} {where}")


def _write_live(con: duckdb.DuckDBPyConnection, tmp: Path) -> int:
    """The inputs' rows of the judged tickets that are not final; returns how many tickets."""
    con.execute("CREATE TEMP TABLE live_tid AS SELECT tid FROM judged WHERE NOT final")
    for name in INPUTS:
        con.execute(
            f"COPY (SELECT * FROM {name} WHERE tid IN (SELECT tid FROM live_tid) ORDER BY tid) "
            f"TO {quote(tmp / f'live_{name}.parquet')} (FORMAT parquet)"
        )
    return int(one_row(con, "SELECT count(*) FROM live_tid")[0])


def build_full(gen: Path, terms: list[Terms], tmp: Path) -> dict:
    con = open_inputs(gen)
    _settings(con, tmp)
    settled = latest_fact(con)
    _judge(
        con,
        terms,
        settled,
        tmp,
        {n: relation_sql(gen, n) for n in INPUTS},
        1,
    )
    _write_totals(con, "SELECT * FROM judged WHERE final", None, tmp)
    live_n = _write_live(con, tmp)
    judged, final_n = one_row(con, "SELECT count(*), count(*) FILTER (WHERE final) FROM judged")
    con.close()
    return {
        "settled_us": settled,
        "final_tickets": int(final_n),
        "live_tickets": live_n,
        "parts": [1],
        "judged": int(judged),
        "voided": 0,
    }


def _write_totals(
    con: duckdb.DuckDBPyConnection, add: str, minus: str | None, tmp: Path, base: str = ""
) -> None:
    """totals.parquet = base totals + rows of `add` - rows of `minus`, groups of zero dropped."""
    groups = "terms_id, month, resp_sev, res_sev, resp_met, res_met"
    signed = f"SELECT {groups}, 1 AS n FROM ({add})"
    if minus is not None:
        signed += f" UNION ALL SELECT {groups}, -1 AS n FROM ({minus})"
    if base:
        signed += f" UNION ALL SELECT {groups}, n FROM ({base})"
    con.execute(
        f"COPY (SELECT {groups}, sum(n)::BIGINT AS n FROM ({signed}) GROUP BY ALL "
        f"HAVING sum(n) <> 0) TO {quote(tmp / 'totals.parquet')} (FORMAT parquet)"
    )


def build_incremental(
    gen: Path,
    terms: list[Terms],
    prev: Ledger,
    changed: pd.DataFrame | None,
    tmp: Path,
    retermed: list[str],
    layer: int | None = None,
) -> dict:
    """Judge only the changed, the open, and the `retermed` contracts' tickets; keep the rest.

    With `layer` (the generation is `prev`'s plus that layer: gen_files.py), the tickets to judge
    are read from the layer and from `prev`'s own copy of its open tickets, not from the store."""
    con = open_inputs(gen)
    _settings(con, tmp)
    con.execute("CREATE TEMP TABLE retermed (contract_id VARCHAR)")
    if retermed:
        con.executemany("INSERT INTO retermed VALUES (?)", [[c] for c in retermed])
    con.execute("CREATE TEMP TABLE changed (contract_id VARCHAR, ticket_id VARCHAR)")
    if changed is not None and len(changed):
        con.register("_changed", changed[list(KEY)])
        con.execute(
            "INSERT INTO changed SELECT contract_id::VARCHAR, ticket_id::VARCHAR FROM _changed"
        )
        con.unregister("_changed")
    con.execute("CREATE VIEW prev_finals AS " + finals(prev))
    con.execute(
        f"CREATE VIEW prev_live AS SELECT contract_id, ticket_id FROM "
        f"read_parquet({quote(prev.live('tickets'))})"
    )
    # the inputs narrowed to the tickets to judge; evaluate.sql reads these names
    if layer is not None and not retermed:
        for name in INPUTS:
            con.read_parquet(str(layer_file(gen, layer, name))).create_view(f"layer_{name}")
            con.read_parquet(str(prev.live(name))).create_view(f"prev_live_{name}")
        con.read_parquet(str(layer_file(gen, layer, "dropped"))).create_view("layer_dropped")
        con.execute(sql("ledger_narrow_layer"))
    else:
        con.execute(sql("ledger_narrow"))
    k = max(prev.parts) + 1
    settled = max(prev.settled_us, latest_fact(con))
    _judge(con, terms, settled, tmp, {n: f"judge_{n}" for n in INPUTS}, k)
    void = tmp / f"void-{k:04d}.parquet"
    con.execute(
        "COPY (SELECT p.* FROM prev_finals p SEMI JOIN changed c USING (contract_id, ticket_id)"
        " UNION ALL SELECT p.* FROM prev_finals p ANTI JOIN changed c"
        " USING (contract_id, ticket_id) WHERE p.contract_id IN (SELECT contract_id FROM retermed))"
        f" TO {quote(void)} (FORMAT parquet)"
    )
    _write_totals(
        con,
        "SELECT * FROM judged WHERE final",
        f"SELECT * FROM read_parquet({quote(void)})",
        tmp,
        base=f"SELECT * FROM read_parquet({quote(prev.totals)})",
    )
    live_n = _write_live(con, tmp)
    judged, new_final = one_row(con, "SELECT count(*), count(*) FILTER (WHERE final) FROM judged")
    voided = int(one_row(con, f"SELECT count(*) FROM read_parquet({quote(void)})")[0])
    con.close()
    for f in prev.part_files() + prev.voids():  # the unchanged results: linked, not rewritten
        link(f, tmp / f.name)
    return {
        "settled_us": settled,
        "final_tickets": prev.final_tickets - voided + int(new_final),
        "live_tickets": live_n,
        "parts": [*prev.parts, k],
        "judged": int(judged),
        "voided": prev.voided + voided,
    }
