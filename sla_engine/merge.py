"""The merge: a validated batch joined to the store's current generation and written as the next
one, published with its SLA ledger, under the store's writer lock (its SQL: ingest.sql,
ingest_carry.sql, normalize.sql)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import ledger, parked
from .coverage import uncovered
from .ingest_report import PHASES, IngestReport, Progress, account, already
from .normalize import derive
from .profiles.base import Extract
from .sqlfiles import fetch, one_row, sql
from .store import Store
from .validate import Valid

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
EMPTY_Q = (
    "CREATE TEMP TABLE old_quarantine"
    ' (batch_id BIGINT, file VARCHAR, row BIGINT, "column" VARCHAR, reason VARCHAR)'
)


def merge(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    ex: Extract,
    valid: Valid,
    fingerprint: str,
    label: str,
    hlabel: str | None,
    profile: str,
    tz: str | None,
    contract: str | None,
    hist_rows: int,
    step: Progress,
    history_appends: bool = False,
) -> IngestReport:
    """Merge the checked batch into a new generation, publish it with its SLA ledger.

    `history_appends`: the batch's history holds only new changes (a connector's incremental event
    stream), added to each ticket's stored history; otherwise a batch's history replaces it."""

    # ingests into one store run one at a time: a second one says it waits, then merges
    with store.write_lock(waiting=lambda: step("waiting", PHASES["waiting"])):
        step("merge", PHASES["merge"])
        prev = store.batches()
        done = already(prev, fingerprint)
        if done is not None:  # another process ingested the same file while we validated
            return IngestReport(
                label, profile, done[0], done[1], unchanged_rows=done[1], noop_of=done[0]
            )
        batch_id = int(prev["batch_id"].max()) + 1 if len(prev) else 1
        con.execute("SET VARIABLE batch_id = ?", [batch_id])
        old = store.current()
        if old is not None:
            store.attach(con)
            con.execute("CREATE TEMP TABLE old_base AS SELECT * FROM base")
            con.execute("CREATE TEMP TABLE old_events AS SELECT * FROM events")
            con.execute("CREATE TEMP TABLE old_quarantine AS SELECT * FROM quarantine")
            con.execute("CREATE TEMP TABLE old_batches AS SELECT * FROM batches")
        else:
            con.execute(EMPTY_BASE)
            con.execute(EMPTY_EVENTS)
            con.execute(EMPTY_Q)
        con.execute(
            "CREATE TEMP TABLE nb_t AS SELECT contract_id, ticket_id, severity, created_us,"
            " first_response_us, resolved_us, notes FROM v_tickets"
        )
        # events keep the file's order within a ticket (seq)
        con.execute(
            "CREATE TEMP TABLE nb_e AS SELECT contract_id, ticket_id, changed_us, field, value,"
            " row_number() OVER (ORDER BY _pos) - 1 AS seq FROM v_events"
        )
        # each kept input row's ticket, counted (unless each row is its own ticket); then the
        # validation's tables are let go
        if not valid.rows_are_tickets:
            con.execute(
                "CREATE TEMP TABLE nb_rows AS SELECT contract_id, ticket_id, count(*) AS n"
                " FROM v_rows GROUP BY ALL"
            )
        parked_now = parked.park(ex, valid, tz, contract)
        valid.release()
        history_given = one_row(con, "SELECT count(*) FROM nb_e")[0] > 0
        if (
            old is not None
        ):  # events continue the old sequence numbers so order within a ticket is kept
            con.execute(
                "UPDATE nb_e SET seq = seq + (SELECT coalesce(max(seq), 0) + 1 FROM old_events)"
            )
        kept_history = (
            _keep_stored_history(con, only_missing=history_given)
            if old is not None and (history_appends or not history_given)
            else 0
        )
        con.execute(sql("ingest"))
        if old is None:  # a first load: the merged tickets are the batch's
            con.execute("ALTER TABLE nb RENAME TO t_in")
        else:
            con.execute(sql("ingest_carry"))
        removed = _drop_deleted(con, ex.deleted_ids, contract) if old is not None else 0
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
        derive(con, keep_numbered=True)
        # the store's tickets that no terms version judges: stored, and the report says how many
        terms = store.terms()  # read once: the coverage note and the ledger build use them
        not_measured = uncovered(con, terms)

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
        gen = store.new_generation_dir()
        try:
            _write(con, gen, first=old is None)

            def loaded() -> set[str]:  # asked only when earlier batches left rows parked
                return {str(r[0]) for r in con.execute("SELECT ticket_id FROM nb_class").fetchall()}

            parked.write(gen, parked.carry(old, loaded, parked_now))
            # published together with its SLA ledger, so the first report needs no full evaluation
            if terms:
                step("ledger", PHASES["ledger"])
                # judged incrementally: only what this batch changed or added, and the open tickets
                prev = ledger.latest(old) if old is not None else None
                # (asked only when there is a ledger to build on; Arrow text, not Python strings)
                changed = (
                    fetch(
                        con,
                        "SELECT contract_id, ticket_id FROM nb_class WHERE outcome <> 'unchanged'"
                        " UNION ALL SELECT contract_id, ticket_id FROM gone",
                    )
                    if prev is not None
                    else None
                )
                # the batch is written: its memory goes back before the ledger build takes its own
                con.close()
                ledger.build(gen, terms, prev, changed)
            store.publish(gen)
        except BaseException:
            # never leave a half-written generation behind; CURRENT still names the old one
            shutil.rmtree(gen, ignore_errors=True)
            raise
        return report


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


def _drop_deleted(con: duckdb.DuckDBPyConnection, ids: list[str], contract: str | None) -> int:
    """Tickets deleted in the help desk leave the merged tickets and events (`gone` lists them,
    for the ledger to void their results). Only under the contract the load names: a ticket id
    alone does not say which help desk, and so which contract, it came from. Returns how many
    stored tickets went."""
    con.execute("CREATE OR REPLACE TEMP TABLE gone (contract_id VARCHAR, ticket_id VARCHAR)")
    if not ids or contract is None:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE _deleted (ticket_id VARCHAR)")
    con.executemany("INSERT INTO _deleted VALUES (?)", [[i] for i in ids])
    con.execute(
        "INSERT INTO gone SELECT contract_id, ticket_id FROM t_in"
        " WHERE contract_id = ? AND ticket_id IN (SELECT ticket_id FROM _deleted)",
        [contract],
    )
    con.execute("DELETE FROM t_in WHERE (contract_id, ticket_id) IN (SELECT * FROM gone)")
    con.execute("DELETE FROM e_in WHERE (contract_id, ticket_id) IN (SELECT * FROM gone)")
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


def _write(con: duckdb.DuckDBPyConnection, gen: Path, first: bool) -> None:
    """The generation's files (store.FILES), from the merged tables and the batch's quarantine
    (`_q`) and line (`_b`)."""
    outputs = {
        # n_t is held in tid order, which is (contract_id, ticket_id) order (normalize.sql)
        "base": "SELECT * EXCLUDE (tid) FROM n_t",
        "events": "SELECT * FROM e_in ORDER BY contract_id, ticket_id, changed_us, seq",
        "tickets": "SELECT * FROM tickets ORDER BY tid",
        "status_log": "SELECT * FROM status_log ORDER BY tid, start_us",
        "severity_log": "SELECT * FROM severity_log ORDER BY tid, start_us",
        "quarantine": "SELECT * FROM old_quarantine UNION ALL BY NAME"
        " SELECT batch_id::BIGINT batch_id, file, row::BIGINT row,"
        ' "column", reason, rule::VARCHAR rule, value::VARCHAR value FROM _q',
        "batches": "SELECT * FROM _b"
        if first
        else "SELECT * FROM old_batches UNION ALL BY NAME SELECT * FROM _b",
    }
    for name, query in outputs.items():
        target = str(gen / (name + ".parquet")).replace("'", "''")  # COPY takes no bound path
        con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet)")
