"""A store of Parquet generations (the layout before the Delta table: a CURRENT pointer file and
gen-NNNNNN folders) moved into the table, figures unchanged.

The current generation's facts become the table's first commit; its derived files, its SLA ledger
and its parked rows become the cached generation of that commit, so the first report after the
move reads the same ledger it read before. The old folders are kept, renamed, until someone removes
them (`CURRENT` becomes `CURRENT.migrated`)."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sla_engine.errors import StoreError
from sla_engine.sqlfiles import connect, one_row
from sla_engine.store import parked_files as parked
from sla_engine.store.table import MONTH_SQL, batches_of

if TYPE_CHECKING:
    from sla_engine.store.core import Store

OLD_FACTS = ("base", "events", "quarantine", "batches")


def migrate(store: Store) -> None:
    """Move the generations under `store.root` into its table (once; concurrent callers wait)."""
    pointer = store.root / "CURRENT"
    with open(store.root / ".migrate.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        if not pointer.exists():
            return  # another process moved it while this one waited
        gen = store.root / pointer.read_text(encoding="utf-8").strip()
        if not all((gen / f"{n}.parquet").exists() for n in OLD_FACTS):
            raise StoreError(f"{pointer} names {gen.name}, which is missing or incomplete")
        dt = store.table.create()
        if dt.version() == 0:
            _commit(store, gen)
        pointer.rename(store.root / "CURRENT.migrated")


def _commit(store: Store, gen: Path) -> None:
    def f(name: str) -> str:
        return "'" + str(gen / f"{name}.parquet").replace("'", "''") + "'"

    con = connect()
    try:
        month = MONTH_SQL.format(col="b.created_us")
        staged = store.cache / f".migrate-{gen.name}"
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        target = str(staged / "commit.parquet").replace("'", "''")
        waiting = parked.read(gen)  # rows waiting for a customer key or a label, kept
        con.register("_pt", waiting[0])
        con.register("_pe", waiting[1])
        con.execute(
            f"""COPY (
            WITH hist AS (
                SELECT contract_id, ticket_id,
                       list({{'changed_us': changed_us, 'field': field, 'value': value,
                              'seq': seq}} ORDER BY changed_us, seq) AS history
                FROM read_parquet({f("events")}) GROUP BY ALL
            )
            SELECT 'ticket' AS kind, {month} AS part, b.contract_id, b.ticket_id, b.severity,
                   b.created_us, b.first_response_us, b.resolved_us, b.content_hash, b.batch_id,
                   b.notes, h.history, NULL::VARCHAR AS payload
            FROM read_parquet({f("base")}, union_by_name = true) b
            LEFT JOIN hist h USING (contract_id, ticket_id)
            UNION ALL
            SELECT 'quarantine', 'b' || lpad(q.batch_id::VARCHAR, 6, '0'), NULL,
                   (row_number() OVER ())::VARCHAR, NULL, NULL, NULL, NULL, NULL, q.batch_id,
                   NULL, NULL, to_json(q)
            FROM read_parquet({f("quarantine")}) q
            UNION ALL
            SELECT 'batch', 'all', NULL, b.batch_id::VARCHAR, NULL, NULL, NULL, NULL, NULL,
                   b.batch_id, NULL, NULL, to_json(b)
            FROM read_parquet({f("batches")}) b
            UNION ALL
            SELECT 'parked', 'tickets', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, to_json(p) FROM _pt p
            UNION ALL
            SELECT 'parked', 'events', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, to_json(p) FROM _pe p
            ) TO '{target}' (FORMAT parquet)"""
        )
        last = int(one_row(con, f"SELECT max(batch_id) FROM read_parquet({f('batches')})")[0])
    finally:
        con.close()
    dt = store.table.create()
    version = store.table.commit(dt, batches_of(staged), "true")
    shutil.rmtree(staged, ignore_errors=True)
    # the old generation's derived files, ledger and parked rows, as the cache of that version
    folder = store.staging(last)
    shutil.rmtree(folder)
    shutil.copytree(
        gen, folder, ignore=shutil.ignore_patterns(*(f"{n}.parquet" for n in OLD_FACTS))
    )
    store.promote(folder, version)
