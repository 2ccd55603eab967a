"""The store's facts as one Delta Lake table (delta-rs): what a batch commits, atomically.

Why Delta Lake: a real commit protocol (an atomic log entry per commit; on S3 a conditional put),
snapshots and time travel, optimistic concurrency, on a local folder or object storage, readable by
DuckDB as plain Parquet files. Measured against the alternatives in docs/benchmarks.md.

One table, so that everything one batch changes lands in ONE commit (Delta has no transaction across
tables). Its rows are of four kinds (the partition column `kind`, with `part` inside it):

    kind=ticket      part=created month (YYYY-MM, UTC): one row per (contract_id, ticket_id), its
                     facts and its whole history as a list (`history`); or part=d<batch id>: a
                     small batch's change set (the changed tickets' new rows, deletions as
                     tombstones), read over the months (`resolved_tickets_sql`)
    kind=quarantine  part=b<batch id>: the rows a batch refused, as JSON (`payload`)
    kind=batch       part=all: one row per batch (its line in the list of batches, as JSON)
    kind=parked      part=tickets|events: rows waiting for a customer key or a priority label
    kind=terms       part=contract id: one row per SLA terms version (`ticket_id` = terms id,
                     `payload` = the terms document), so every host measures the same terms

A batch overwrites only the partitions it touches (Delta's replaceWhere): the months of the tickets
it changed, its own quarantine partition, the batch list and the parked rows. Every batch rewrites
`kind=batch`, so two writers that read the same version always conflict and the second one starts
again from the new version (`Conflict`): writers need no lock, on one host or many.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError

import config
from sla_engine.errors import StoreError

HISTORY = pa.list_(
    pa.struct(
        [
            ("changed_us", pa.int64()),
            ("field", pa.string()),
            ("value", pa.string()),
            ("seq", pa.int64()),
        ]
    )
)
SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("part", pa.string()),
        ("contract_id", pa.string()),
        ("ticket_id", pa.string()),
        ("severity", pa.string()),
        ("created_us", pa.int64()),
        ("first_response_us", pa.int64()),
        ("resolved_us", pa.int64()),
        ("content_hash", pa.string()),
        ("batch_id", pa.int64()),
        ("notes", pa.string()),
        ("history", HISTORY),
        ("payload", pa.string()),
    ]
)
PARTITIONS = ["kind", "part"]
KINDS = ("ticket", "quarantine", "batch", "parked", "terms")
# the month partition of a ticket, from its creation instant (UTC microseconds)
MONTH_SQL = "coalesce(strftime(make_timestamp({col}), '%Y-%m'), 'none')"
COMMIT_RETRIES = 8
# the Delta writer holds up to this much of each partition it writes before it flushes a file: a
# load that writes every month at once holds all of them, so small files keep its memory flat (the
# worker's compaction merges them later: store_maintain.TARGET_FILE_BYTES)
WRITE_FILE_BYTES = 16 << 20
# a small batch appends its changed tickets as one change set (part d<batch id>) instead of
# rewriting the months they were created in; readers take each ticket's row of the highest batch id
# (a month row and a change set row of the same batch id are the same version), and a TOMBSTONE
# payload says the ticket was deleted. The worker's compaction folds change sets into the months.
DELTA_PREFIX = "d"
TOMBSTONE = '"deleted"'  # payloads are JSON: a JSON string
# a batch writes a change set when its changed tickets are fewer than this share of the rows a
# rewrite of their months would write
DELTA_SHARE = 0.1


def backoff(attempt: int) -> float:
    """Seconds to wait before try `attempt` + 1 after a lost commit race: exponential, capped at
    2 s, with full jitter so writers that collided do not collide again in lockstep."""
    return random.uniform(0, min(2.0, 0.1 * 2**attempt))


class Conflict(StoreError):
    """Another writer committed since this one read: read again and redo the batch."""


@dataclass(frozen=True)
class Location:
    """Where the table lives: a local folder or an object-storage URL with its options."""

    uri: str
    options: dict[str, str]

    @property
    def local(self) -> bool:
        return "://" not in self.uri

    @classmethod
    def of(cls, root: Path, url: str | None = None) -> Location:
        """`url` (s3://bucket/prefix) or COVENANT_STORE_URL, else the folder `root/table`.
        Object-storage options come from the usual AWS_* variables."""
        url = url if url is not None else config.get("COVENANT_STORE_URL") or None
        if url is None:
            return cls(str(Path(root) / "table"), {})
        if not url.startswith("s3://"):
            raise StoreError(f"COVENANT_STORE_URL {url[:80]!r}: only s3:// URLs are supported")
        opts = {
            k: v
            for k in (
                "AWS_ENDPOINT_URL",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_REGION",
                "AWS_ALLOW_HTTP",
            )
            if (v := config.get(k))
        }
        # commits on S3 are safe among concurrent writers through conditional puts
        opts.setdefault("aws_conditional_put", "etag")
        return cls(url.rstrip("/") + "/table", opts)


class Table:
    """The store's Delta table at one location."""

    def __init__(self, location: Location) -> None:
        self.location = location

    def open(self, version: int | None = None) -> DeltaTable | None:
        """The table (latest, or at `version`), or None when nothing was ever committed."""
        try:
            return DeltaTable(
                self.location.uri, version=version, storage_options=self.location.options or None
            )
        except TableNotFoundError:
            return None
        except Exception as e:  # a version vacuumed away, an unreachable bucket
            if version is not None and "version" in str(e).lower():
                raise StoreError(f"store version {version} is no longer kept: reload") from e
            raise

    def create(self) -> DeltaTable:
        """The table, created empty if it does not exist (two creators at once: both fine)."""
        dt = self.open()
        if dt is not None:
            return dt
        if self.location.local:
            Path(self.location.uri).mkdir(parents=True, exist_ok=True)
        try:
            return DeltaTable.create(
                self.location.uri,
                SCHEMA,
                mode="ignore",
                partition_by=PARTITIONS,
                storage_options=self.location.options or None,
            )
        except CommitFailedError:
            opened = self.open()
            if opened is None:
                raise
            return opened

    def commit(self, dt: DeltaTable, rows: pa.RecordBatchReader, replaced: str) -> int:
        """Replace the partitions `replaced` (a predicate over kind and part) with `rows`, in one
        commit on top of the version `dt` was read at. Raises Conflict when another writer
        committed first. Returns the version written."""
        try:
            write_deltalake(
                dt,
                rows,
                mode="overwrite",
                predicate=replaced,
                partition_by=PARTITIONS,
                target_file_size=WRITE_FILE_BYTES,
            )
        except CommitFailedError as e:
            raise Conflict(f"another writer committed to the store first ({e})") from e
        return int(dt.version())


def terms_rows(terms: list[Any]) -> pa.RecordBatchReader:
    """Terms versions (sla_engine.rulebook.terms.Terms) as rows of the table."""
    rows: dict[str, list[Any]] = {name: [None] * len(terms) for name in SCHEMA.names}
    rows["kind"] = ["terms"] * len(terms)
    rows["part"] = [t.contract_id for t in terms]
    rows["contract_id"] = [t.contract_id for t in terms]
    rows["ticket_id"] = [t.terms_id for t in terms]
    rows["payload"] = [t.model_dump_json() for t in terms]
    return pa.Table.from_pydict(rows, schema=SCHEMA).to_reader()


def terms_predicate(contracts: list[str]) -> str:
    """The partitions of these contracts' terms."""
    return f"kind = 'terms' AND part IN {quoted(contracts)}"


def _pruning(kind: str, parts: list[str] | None) -> list[Any]:
    """The file-pruning predicate of one kind (optionally only some parts)."""
    filters: list[Any] = [("kind", "=", kind)]
    if parts is not None:
        filters.append(("part", "in", parts))
    return filters


def files(dt: DeltaTable, kind: str, parts: list[str] | None = None) -> list[str]:
    """The Parquet files of one kind in this snapshot (optionally only some parts)."""
    return list(dt.file_uris(file_pruning_predicate=_pruning(kind, parts)))


def column(
    dt: DeltaTable, location: Location, kind: str, name: str, parts: list[str] | None = None
) -> list[Any]:
    """One column of one kind's rows in this snapshot (small kinds: batches, terms, parked)."""
    if location.local:
        uris = files(dt, kind, parts)
        return pq.read_table(uris, columns=[name]).column(0).to_pylist() if uris else []
    ds = dt.to_pyarrow_dataset(file_pruning_predicate=_pruning(kind, parts))
    return ds.to_table(columns=[name]).column(0).to_pylist()


def relation(
    con: duckdb.DuckDBPyConnection,
    dt: DeltaTable,
    location: Location,
    kind: str,
    parts: list[str] | None = None,
) -> duckdb.DuckDBPyRelation:
    """One kind's rows in this snapshot (optionally only some parts), as a DuckDB relation (local
    files read natively, object storage through the snapshot's Arrow dataset)."""
    if parts is not None and not parts:
        return con.sql(_empty_sql())
    if location.local:
        uris = files(dt, kind, parts)
        if not uris:
            return con.sql(_empty_sql())
        return con.read_parquet(uris, hive_partitioning=False)
    ds = dt.to_pyarrow_dataset(file_pruning_predicate=_pruning(kind, parts))
    # one name per (version, kind, parts): two relations of one version never replace each other
    which = "all" if parts is None else hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]
    name = f"_delta_{kind}_{dt.version()}_{which}"
    con.register(name, ds)
    return con.sql(f"SELECT * EXCLUDE (kind, part) FROM {name}")


def ticket_parts(dt: DeltaTable) -> tuple[list[str], list[str]]:
    """The ticket partitions of this snapshot: creation months, and the change sets small batches
    appended (DELTA_PREFIX + batch id), oldest first."""
    parts = sorted(
        {p["part"] for p in dt.partitions(file_pruning_predicate=[("kind", "=", "ticket")])}
    )
    deltas = [p for p in parts if p.startswith(DELTA_PREFIX)]
    return [p for p in parts if not p.startswith(DELTA_PREFIX)], deltas


def month_rows(dt: DeltaTable) -> dict[str, int]:
    """Rows per ticket month partition of this snapshot, from its log's statistics (no file read):
    what rewriting those months would write."""
    actions = pa.table(dt.get_add_actions(flatten=True))
    out: dict[str, int] = {}
    for kind, part, n in zip(
        actions.column("partition.kind").to_pylist(),
        actions.column("partition.part").to_pylist(),
        actions.column("num_records").to_pylist(),
        strict=True,
    ):
        if kind == "ticket" and not str(part).startswith(DELTA_PREFIX):
            out[part] = out.get(part, 0) + int(n or 0)
    return out


def _empty_sql() -> str:
    return (
        "SELECT NULL::VARCHAR contract_id, NULL::VARCHAR ticket_id, NULL::VARCHAR severity,"
        " NULL::BIGINT created_us, NULL::BIGINT first_response_us, NULL::BIGINT resolved_us,"
        " NULL::VARCHAR content_hash, NULL::BIGINT batch_id, NULL::VARCHAR notes,"
        " NULL::STRUCT(changed_us BIGINT, field VARCHAR, value VARCHAR, seq BIGINT)[] history,"
        " NULL::VARCHAR payload WHERE false"
    )


def resolved_tickets_sql(months: str, deltas: str) -> str:
    """The current row of every ticket, from the view of month rows and the view of change set
    rows: a ticket's row of the highest batch id wins (ties are the same version; the month row is
    taken), and a tombstone removes the ticket."""
    return f"""
        WITH latest AS (
            SELECT * FROM {deltas}
            QUALIFY row_number() OVER (
                PARTITION BY contract_id, ticket_id ORDER BY batch_id DESC) = 1
        )
        SELECT m.* FROM {months} m
        WHERE NOT EXISTS (SELECT 1 FROM latest d WHERE d.contract_id = m.contract_id
                          AND d.ticket_id = m.ticket_id AND d.batch_id > m.batch_id)
        UNION ALL
        SELECT d.* FROM latest d
        WHERE d.payload IS DISTINCT FROM '{TOMBSTONE}'
          AND NOT EXISTS (SELECT 1 FROM {months} m WHERE m.contract_id = d.contract_id
                          AND m.ticket_id = d.ticket_id AND m.batch_id >= d.batch_id)
    """


def reader(con: duckdb.DuckDBPyConnection, query: str) -> pa.RecordBatchReader:
    """A query's rows streamed in the table's schema (never the whole result in memory)."""
    batches = con.sql(query).to_arrow_reader(batch_size=256_000)
    return batches.cast(SCHEMA)


def quoted(values: list[str]) -> str:
    """Partition values as a SQL list for a replaceWhere predicate (our own month and batch
    names; quotes doubled anyway)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def export_rows(dt: DeltaTable, target: Path) -> int:
    """Every row of this snapshot into one Parquet file (a backup's copy of the facts), streamed
    batch by batch. Returns the row count."""
    count = 0
    with pq.ParquetWriter(target, SCHEMA) as out:
        # one file and one small batch in flight at a time: memory stays flat whatever the size
        for batch in dt.to_pyarrow_dataset().to_batches(
            batch_size=32_000, batch_readahead=0, fragment_readahead=0
        ):
            table = pa.Table.from_batches([batch]).select(SCHEMA.names).cast(SCHEMA)
            out.write_table(table)
            count += table.num_rows
    return count


def import_rows(table: Table, parquet: Path) -> int:
    """A backup's rows as the first commit of an empty table. Returns the version written."""
    dt = table.create()
    if dt.file_uris():
        raise StoreError(f"the store table at {table.location.uri} is not empty")
    rows = pq.ParquetFile(parquet)
    reader = pa.RecordBatchReader.from_batches(SCHEMA, rows.iter_batches(batch_size=256_000))
    write_deltalake(dt, reader, mode="overwrite", partition_by=PARTITIONS)
    return int(dt.version())


def batches_of(folder: Path) -> pa.RecordBatchReader:
    """A staged commit (a folder of Parquet files) streamed in the table's schema, file by file
    (never whole in memory)."""
    files = [pq.ParquetFile(path) for path in sorted(folder.glob("*.parquet"))]  # opened now

    def batches() -> Iterator[pa.RecordBatch]:
        for f in files:
            for b in f.iter_batches(batch_size=64_000):
                yield from pa.Table.from_batches([b]).select(SCHEMA.names).cast(SCHEMA).to_batches()

    return pa.RecordBatchReader.from_batches(SCHEMA, batches())
