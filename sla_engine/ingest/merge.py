"""The merge: a validated batch joined to the store's latest version and committed to its table
(store_table.py) as the next generation, with that generation's derived relations and SLA ledger
staged before the commit (its SQL: ingest.sql, ingest_carry.sql, normalize.sql)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
from deltalake import DeltaTable

from sla_engine.errors import StoreError
from sla_engine.ingest import parked
from sla_engine.ingest.profiles.base import Extract
from sla_engine.ingest.report import PHASES, IngestReport, Progress, account, already
from sla_engine.ingest.validate import Valid
from sla_engine.ledger import core as ledger
from sla_engine.rulebook.coverage import Uncovered, uncovered
from sla_engine.sqlfiles import fetch, one_row, sql
from sla_engine.store import gen_files, parked_files
from sla_engine.store.core import Store
from sla_engine.store.derive import derive
from sla_engine.store.table import (
    COMMIT_RETRIES,
    DELTA_PREFIX,
    DELTA_SHARE,
    MONTH_SQL,
    TOMBSTONE,
    Conflict,
    backoff,
    batches_of,
    month_rows,
    quoted,
)

# up to this many ticket ids, a batch's stored rows are found through an IN filter the Parquet scan
# evaluates on the id column first (a fifth of a semi-join's cost at 10M), beyond it by a semi-join
PUSHED_KEYS = 50_000
EMPTY_BASE = (
    "CREATE TEMP TABLE old_base (contract_id VARCHAR, ticket_id VARCHAR, severity VARCHAR, "
    "created_us BIGINT,"
    " first_response_us BIGINT, resolved_us BIGINT, content_hash VARCHAR, batch_id BIGINT,"
    " notes VARCHAR)"
)
EMPTY_EVENTS = (
    "CREATE TEMP TABLE old_events (contract_id VARCHAR, ticket_id VARCHAR, changed_us BIGINT,"
    " field VARCHAR, value VARCHAR, seq BIGINT)"
)


@dataclass(frozen=True)
class Batch:
    """A checked batch and how it was read: what each try of the merge starts again from.

    `history_appends`: the batch's history holds only new changes (a connector's incremental event
    stream), added to each ticket's stored history; otherwise a batch's history replaces it."""

    ex: Extract
    valid: Valid
    fingerprint: str
    label: str
    hlabel: str | None
    profile: str
    tz: str | None
    contract: str | None
    hist_rows: int
    history_appends: bool = False


def merge(
    store: Store, con: duckdb.DuckDBPyConnection, batch: Batch, step: Progress
) -> IngestReport:
    """Merge the checked batch into the store's latest version and commit it with its SLA ledger.

    Writers take no lock: when another one commits first, this batch is merged again onto the new
    version (bounded; each try says "waiting")."""
    step("merge", PHASES["merge"])
    # the checked batch, kept aside: a try that loses the race starts again from it
    con.execute(
        "CREATE TEMP TABLE nb_t AS SELECT contract_id, ticket_id, severity, created_us,"
        " first_response_us, resolved_us, notes FROM v_tickets"
    )
    # events keep the file's order within a ticket (seq)
    con.execute(
        "CREATE TEMP TABLE nb_e0 AS SELECT contract_id, ticket_id, changed_us, field, value,"
        " row_number() OVER (ORDER BY _pos) - 1 AS seq FROM v_events"
    )
    # each kept input row's ticket, counted (unless each row is its own ticket); then the
    # validation's tables are let go
    if not batch.valid.rows_are_tickets:
        con.execute(
            "CREATE TEMP TABLE nb_rows AS SELECT contract_id, ticket_id, count(*) AS n"
            " FROM v_rows GROUP BY ALL"
        )
    parked_now = parked.park(batch.ex, batch.valid, batch.tz, batch.contract)
    batch.valid.release()
    for attempt in range(COMMIT_RETRIES):
        try:
            return _merge_once(store, con, batch, step, parked_now)
        except Conflict:
            step("waiting", PHASES["waiting"])
            time.sleep(backoff(attempt))
            step("merge", PHASES["merge"])
    raise StoreError(
        f"{batch.label}: other writers committed to the store {COMMIT_RETRIES} times while this "
        "batch merged; nothing was stored: load it again"
    )


# the temp tables one try makes (dropped before the next try)
TRY_TABLES = (
    "old_base",
    "old_events",
    "old_quarantine",
    "old_batches",
    "nb_e",
    "nb",
    "nb_class",
    "t_in",
    "e_in",
    "gone",
    "n_t",
    "nb_keys",
    "e_new",
    "dropped_tids",
    "tickets",
    "status_log",
    "severity_log",
    "w_t",
)


def _merge_once(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    step: Progress,
    parked_now: tuple[pd.DataFrame, pd.DataFrame],
) -> IngestReport:
    """One try: read the latest version, merge, stage the generation and its ledger, commit."""
    ex, valid, fingerprint, label = batch.ex, batch.valid, batch.fingerprint, batch.label
    hlabel, profile, tz, contract = batch.hlabel, batch.profile, batch.tz, batch.contract
    hist_rows, history_appends = batch.hist_rows, batch.history_appends
    for name in TRY_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    snap = store.snapshot()
    dt = snap.dt if snap is not None else store.table.create()
    old = store.cached(snap) if snap is not None else None
    if snap is not None:
        store.attach_facts(con, dt)
        prev = con.execute("SELECT * FROM batches ORDER BY batch_id").df()
        done = already(prev, fingerprint)
        if done is not None:  # another process loaded the same file while we validated
            return IngestReport(
                label, profile, done[0], done[1], unchanged_rows=done[1], noop_of=done[0]
            )
        _stored_rows_of_batch(con, ex.deleted_ids, contract)
    else:
        con.execute(EMPTY_BASE)
        con.execute(EMPTY_EVENTS)
    batch_id = snap.batch + 1 if snap is not None else 1
    con.execute("SET VARIABLE batch_id = ?", [batch_id])
    con.execute("CREATE TEMP TABLE nb_e AS SELECT * FROM nb_e0")
    history_given = one_row(con, "SELECT count(*) FROM nb_e")[0] > 0
    if old is not None:  # events continue the old sequence numbers so order within a ticket is kept
        con.execute(
            "UPDATE nb_e SET seq = seq + (SELECT coalesce(max(seq), 0) + 1 FROM old_events)"
        )
    kept_history = (
        _keep_stored_history(con, only_missing=history_given)
        if old is not None and (history_appends or not history_given)
        else 0
    )
    con.execute(sql("ingest"))
    removed = _gone(con, ex.deleted_ids, contract if old is not None else None)
    # a small batch is merged, derived, committed and judged on its own tickets only
    layered = old is not None and snap is not None and _is_small(con, snap.dt)
    if old is None:  # a first load: the merged tickets are the batch's
        con.execute("ALTER TABLE nb RENAME TO t_in")
        con.execute("ALTER TABLE e_new RENAME TO e_in")
    elif layered:
        con.execute(sql("ingest_changed"))
    else:  # a large batch: merged with every stored ticket
        con.execute("CREATE OR REPLACE TEMP TABLE old_base AS SELECT * FROM base")
        con.execute("CREATE OR REPLACE TEMP TABLE old_events AS SELECT * FROM events")
        con.execute(sql("ingest_carry"))
        con.execute("DELETE FROM t_in WHERE (contract_id, ticket_id) IN (SELECT * FROM gone)")
        con.execute("DELETE FROM e_in WHERE (contract_id, ticket_id) IN (SELECT * FROM gone)")
    con.execute("DROP TABLE old_events")
    ticket_outcomes = dict(
        con.execute("SELECT outcome, count(*) FROM nb_class GROUP BY ALL").fetchall()
    )
    # every kept input row counted by what happened to its ticket
    row_outcomes = (
        ticket_outcomes
        if valid.rows_are_tickets
        else dict(
            con.execute(
                "SELECT c.outcome, sum(r.n)::BIGINT FROM nb_rows r LEFT JOIN nb_class c "
                "USING (contract_id, ticket_id) GROUP BY ALL"
            ).fetchall()
        )
    )
    terms = store.terms()  # read once: the coverage note and the ledger build use them
    gen = store.staging(batch_id)
    try:
        not_measured = _stage_generation(con, gen, old if layered else None, terms)
    except BaseException:
        shutil.rmtree(gen.parent, ignore_errors=True)
        raise

    notes = list(ex.notes) + [u.note() for u in not_measured]
    if ex.deleted_ids:
        notes.append(
            f"{len(ex.deleted_ids):,} tickets deleted in the help desk: left out"
            + (
                f"; {removed:,} of them stored earlier were removed from the store"
                if contract is not None
                else "; tickets stored earlier under these ids are kept: load with the "
                "contract named to remove them"
            )
        )
    if kept_history and history_appends:
        notes.append(
            f"the new status changes were added to the history already stored for "
            f"{kept_history:,} tickets"
        )
    elif kept_history:
        notes.append(
            f"this export carries no status or field history: the history already stored for "
            f"{kept_history:,} of its tickets was kept (upload the history file to replace it)"
        )
    report = account(
        valid, row_outcomes, ticket_outcomes, label, profile, batch_id, hist_rows, notes
    )
    q = valid.quarantine.copy()
    q.insert(0, "batch_id", batch_id)
    con.register("_q", q)
    con.register("_b", _batch_row(report, hlabel, tz, contract, fingerprint))
    try:

        def loaded() -> set[str]:  # asked only when earlier batches left rows parked
            return {str(r[0]) for r in con.execute("SELECT ticket_id FROM nb_class").fetchall()}

        carried = parked.carry(old, loaded, parked_now)
        parked_files.write(gen, carried)
        commit_dir = gen.parent / "commit"
        replaced = _stage_commit(con, commit_dir, batch_id, carried, old is None, layered)
        # judged incrementally: only what this batch changed or added, and the open tickets
        prev_ledger = ledger.latest(old) if old is not None and terms else None
        # a layer over the generation that ledger judged: its open tickets keep their tids
        stacked = (
            gen_files.layers(gen)[-1]
            if layered
            and prev_ledger is not None
            and old is not None
            and prev_ledger.generation == old.name
            else None
        )
        # (asked only when there is a ledger to build on; Arrow text, not Python strings)
        changed = (
            fetch(
                con,
                "SELECT contract_id, ticket_id FROM nb_class WHERE outcome <> 'unchanged'"
                " UNION ALL SELECT contract_id, ticket_id FROM gone",
            )
            if prev_ledger is not None
            else None
        )
        # the batch is staged: its memory goes back before the ledger build takes its own
        for name in TRY_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {name}")
        con.unregister("_q")
        con.unregister("_b")
        # committed together with its SLA ledger, so the first report needs no full evaluation
        if terms:
            step("ledger", PHASES["ledger"])
            ledger.build(gen, terms, prev_ledger, changed, stacked)
        version = store.table.commit(dt, batches_of(commit_dir), replaced)
        store.promote(gen, version)
    except BaseException:
        # never leave a half-written generation behind; the table still ends at the old version
        shutil.rmtree(gen.parent, ignore_errors=True)
        raise
    return report


def _stored_rows_of_batch(
    con: duckdb.DuckDBPyConnection, deleted_ids: list[str], contract: str | None
) -> None:
    """old_base/old_events: the stored rows of the batch's tickets (and of the ones it deletes)
    only — all a small batch needs; a large one reads the whole store later."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE nb_keys AS SELECT DISTINCT contract_id, ticket_id FROM nb_t"
    )
    if deleted_ids and contract is not None:
        con.executemany(
            "INSERT INTO nb_keys VALUES (?, ?)", [[contract, str(i)] for i in deleted_ids]
        )
    n = int(one_row(con, "SELECT count(*) FROM nb_keys")[0])
    if n <= PUSHED_KEYS:  # the ids as a filter the Parquet scan applies before reading the rest
        ids = [r[0] for r in con.execute("SELECT DISTINCT ticket_id FROM nb_keys").fetchall()]
        con.execute(
            "CREATE TEMP TABLE old_t AS SELECT * FROM (SELECT * FROM _facts_ticket"
            " WHERE ticket_id IN (SELECT unnest(?::VARCHAR[])))"
            " SEMI JOIN nb_keys USING (contract_id, ticket_id)",
            [ids],
        )
    else:
        con.execute(
            "CREATE TEMP TABLE old_t AS SELECT * FROM _facts_ticket"
            " SEMI JOIN nb_keys USING (contract_id, ticket_id)"
        )
    con.execute(
        "CREATE TEMP TABLE old_base AS SELECT contract_id, ticket_id, severity, created_us,"
        " first_response_us, resolved_us, content_hash, batch_id, notes FROM old_t"
    )
    con.execute(
        "CREATE TEMP TABLE old_events AS SELECT contract_id, ticket_id,"
        " h.changed_us AS changed_us, h.field AS field, h.value AS value, h.seq AS seq"
        " FROM (SELECT contract_id, ticket_id, unnest(history) AS h FROM old_t)"
    )
    con.execute("DROP TABLE old_t")


def _is_small(con: duckdb.DuckDBPyConnection, dt: DeltaTable) -> bool:
    """Whether the tickets the batch changes or deletes are fewer than DELTA_SHARE of the store's:
    then it is merged, derived (a layer: gen_files.py), committed (a change set) and judged on its
    own tickets, and costs what it brings, not what is stored."""
    n = one_row(
        con,
        "SELECT (SELECT count(*) FROM nb_class WHERE outcome <> 'unchanged')"
        " + (SELECT count(*) FROM gone)",
    )[0]
    return int(n) < DELTA_SHARE * sum(month_rows(dt).values())


def _stage_generation(
    con: duckdb.DuckDBPyConnection, gen: Path, layer_on: Path | None, terms: list
) -> list[Uncovered]:
    """Derive the engine's relations into the staged generation `gen` — the whole store's from
    t_in/e_in, or, with `layer_on` (the previous generation), one layer of the batch's own
    tickets over its files — and return the store's tickets no terms version measures."""
    if layer_on is None:
        derive(con, keep_numbered=True)
        gen_files.write(con, gen)
        return uncovered(con, terms)
    k = gen_files.carry_over(layer_on, gen, con)
    derive(con, keep_numbered=True, tid_base=gen_files.max_tid(con, gen))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE dropped_tids AS SELECT tid FROM "
        + gen_files.relation_sql(gen, "tickets")
        + " SEMI JOIN (SELECT contract_id, ticket_id FROM nb_class WHERE outcome <> 'unchanged'"
        " UNION ALL SELECT contract_id, ticket_id FROM gone) USING (contract_id, ticket_id)"
    )
    gen_files.write(con, gen, k)
    whole = gen_files.open_inputs(gen)
    try:
        return uncovered(whole, terms)
    finally:
        whole.close()


def _stage_commit(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    batch_id: int,
    carried: tuple[pd.DataFrame, pd.DataFrame],
    first: bool,
    layered: bool,
) -> str:
    """The rows this batch commits, written to `target` in the table's schema: every ticket of
    each month partition it changes (with its history) — or, for a small batch, only its changed
    tickets as a change set —, tombstones of the tickets it deleted, its quarantine, the list of
    batches and the parked rows. Returns the predicate of the partitions they replace.

    A `layered` batch (t_in holds only its changed tickets) is always a change set."""
    month = MONTH_SQL.format(col="created_us")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE w_months AS"
        " WITH changed AS (SELECT contract_id, ticket_id FROM nb_class WHERE outcome <> 'unchanged'"
        " UNION ALL SELECT contract_id, ticket_id FROM gone)"
        f" SELECT DISTINCT {month} AS m FROM t_in"
        " SEMI JOIN changed USING (contract_id, ticket_id)"
        f" UNION SELECT DISTINCT {month} FROM old_base"
        " SEMI JOIN changed USING (contract_id, ticket_id)"
    )
    change_set = f"{DELTA_PREFIX}{batch_id:06d}"
    changed, rewrite = one_row(
        con,
        "SELECT (SELECT count(*) FROM nb_class WHERE outcome <> 'unchanged'),"
        f" (SELECT count(*) FROM t_in WHERE {month} IN (SELECT m FROM w_months))",
    )
    if layered or (not first and int(changed) < DELTA_SHARE * int(rewrite)):
        # a small batch: only its tickets, as a change set, not their months (store_table.py)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE w_t AS SELECT ? AS part, t.* FROM t_in t"
            " SEMI JOIN (SELECT contract_id, ticket_id FROM nb_class WHERE outcome <> 'unchanged')"
            " USING (contract_id, ticket_id)",
            [change_set],
        )
        con.execute("DELETE FROM w_months")
    else:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE w_t AS SELECT {month} AS part, * FROM t_in"
            f" WHERE {month} IN (SELECT m FROM w_months)"
        )
    con.register("_pt", carried[0])
    con.register("_pe", carried[1])
    shard = f"b{batch_id:06d}"
    # the tickets, one file per partition: each ticket's history is gathered into a list, which
    # DuckDB cannot spill, so one partition at a time bounds the memory (a 10M-ticket load)
    tickets = """
        WITH part AS (SELECT * FROM w_t WHERE part = getvariable('commit_part')),
        hist AS (
            SELECT contract_id, ticket_id,
                   list({'changed_us': changed_us, 'field': field, 'value': value, 'seq': seq}
                        ORDER BY changed_us, seq) AS history
            FROM e_in SEMI JOIN part USING (contract_id, ticket_id) GROUP BY ALL
        )
        SELECT 'ticket' AS kind, t.part, t.contract_id, t.ticket_id, t.severity, t.created_us,
               t.first_response_us, t.resolved_us, t.content_hash, t.batch_id, t.notes,
               h.history, NULL::VARCHAR AS payload
        FROM part t LEFT JOIN hist h USING (contract_id, ticket_id)
    """
    target.mkdir(parents=True, exist_ok=True)
    parts = [str(r[0]) for r in con.execute("SELECT DISTINCT part FROM w_t ORDER BY 1").fetchall()]
    for i, part in enumerate(parts):
        con.execute("SET VARIABLE commit_part = ?", [part])
        path = str(target / f"tickets-{i:05d}.parquet").replace("'", "''")  # COPY: no bound path
        con.execute(f"COPY ({tickets}) TO '{path}' (FORMAT parquet)")
    rows = f"""
        SELECT 'ticket' AS kind, '{change_set}' AS part, contract_id, ticket_id, NULL AS severity,
               NULL::BIGINT AS created_us, NULL::BIGINT AS first_response_us,
               NULL::BIGINT AS resolved_us, NULL AS content_hash, {batch_id}::BIGINT AS batch_id,
               NULL AS notes,
               NULL::STRUCT(changed_us BIGINT, field VARCHAR, value VARCHAR, seq BIGINT)[]
                   AS history,
               '{TOMBSTONE}'::JSON AS payload
        FROM gone
        UNION ALL
        SELECT 'quarantine', '{shard}', NULL, (row_number() OVER ())::VARCHAR, NULL, NULL, NULL,
               NULL, NULL, batch_id, NULL, NULL,
               to_json({{'file': file, 'row': row, 'column': "column", 'reason': reason,
                         'rule': rule, 'value': value}})
        FROM _q
        UNION ALL
        SELECT 'batch', 'all', NULL, batch_id::VARCHAR, NULL, NULL, NULL, NULL, NULL, batch_id,
               NULL, NULL, to_json(b) FROM _b b
        {
        ""
        if first
        else "UNION ALL SELECT 'batch', 'all', NULL, ticket_id, NULL, NULL, NULL,"
        " NULL, NULL, batch_id, NULL, NULL, payload FROM _facts_batch"
    }
        UNION ALL
        SELECT 'parked', 'tickets', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               to_json(p) FROM _pt p
        UNION ALL
        SELECT 'parked', 'events', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
               to_json(p) FROM _pe p
    """
    path = str(target / "other.parquet").replace("'", "''")
    con.execute(f"COPY ({rows}) TO '{path}' (FORMAT parquet)")
    months = [str(r[0]) for r in con.execute("SELECT m FROM w_months ORDER BY m").fetchall()]
    clauses = [
        "kind = 'batch'",
        "kind = 'parked'",
        f"(kind = 'quarantine' AND part = '{shard}')",
        f"(kind = 'ticket' AND part = '{change_set}')",  # a new partition: it replaces nothing
    ]
    if months:
        clauses.append(f"(kind = 'ticket' AND part IN {quoted(months)})")
    return " OR ".join(clauses)


def _keep_stored_history(con: duckdb.DuckDBPyConnection, only_missing: bool = False) -> int:
    """An export with no history at all (a tickets file alone) says nothing about the tickets'
    histories: the stored one of each of its tickets is carried into the batch, so re-uploading
    the tickets file never drops pauses and reopenings loaded earlier. With `only_missing` (a
    stream of new changes), the stored changes the batch does not repeat are carried beside the
    new ones. Returns how many of the batch's tickets had stored changes carried."""
    repeat = (
        " ANTI JOIN nb_e b ON b.contract_id = o.contract_id AND b.ticket_id = o.ticket_id"
        " AND b.changed_us = o.changed_us AND b.field = o.field AND b.value = o.value"
        if only_missing
        else ""
    )
    # the stored events are read once: carried, counted, then added to the batch
    con.execute(
        "CREATE OR REPLACE TEMP TABLE carried AS SELECT o.contract_id, o.ticket_id, o.changed_us,"
        " o.field, o.value, o.seq"
        f" FROM old_events o SEMI JOIN nb_t n USING (contract_id, ticket_id){repeat}"
    )
    con.execute("INSERT INTO nb_e SELECT * FROM carried")
    n = int(one_row(con, "SELECT count(DISTINCT (contract_id, ticket_id)) FROM carried")[0])
    con.execute("DROP TABLE carried")
    return n


def _gone(con: duckdb.DuckDBPyConnection, ids: list[str], contract: str | None) -> int:
    """`gone`: the stored tickets deleted in the help desk, which leave the store (and the ledger
    voids their results). Only under the contract the load names: a ticket id alone does not say
    which help desk, and so which contract, it came from. Returns how many."""
    con.execute("CREATE OR REPLACE TEMP TABLE gone (contract_id VARCHAR, ticket_id VARCHAR)")
    if not ids or contract is None:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE _deleted (ticket_id VARCHAR)")
    con.executemany("INSERT INTO _deleted VALUES (?)", [[i] for i in ids])
    con.execute(
        "INSERT INTO gone SELECT contract_id, ticket_id FROM old_base"
        " WHERE contract_id = ? AND ticket_id IN (SELECT ticket_id FROM _deleted)",
        [contract],
    )
    return int(one_row(con, "SELECT count(*) FROM gone")[0])


def _batch_row(
    report: IngestReport,
    hlabel: str | None,
    tz: str | None,
    contract: str | None,
    fingerprint: str,
) -> pd.DataFrame:
    """The batch's line in the store's list of batches: what was read, how, and what it did."""
    return pd.DataFrame(
        [
            {
                "batch_id": report.batch_id,
                "file": report.file,
                "history_file": hlabel,
                "profile": report.profile,
                "tz": tz,
                "contract": contract,
                "fingerprint": fingerprint,
                "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "input_rows": report.input_rows,
                "loaded_rows": report.loaded_rows,
                "updated_rows": report.updated_rows,
                "unchanged_rows": report.unchanged_rows,
                "quarantined_rows": report.quarantined_rows,
                "tickets_loaded": report.tickets_loaded,
                "tickets_updated": report.tickets_updated,
                "tickets_unchanged": report.tickets_unchanged,
            }
        ]
    )
