"""The ticket store: a Delta Lake table of facts (store_table.py) and, on each host, a cache of
what the engine derives from each version of it.

The table is the truth: tickets with their histories, the quarantine, the list of batches and the
parked rows, each batch committed atomically with Delta's protocol (a local folder or S3; several
writers and hosts need no lock: a writer that loses the race starts again). Batch N's state is the
store "generation" gen-N. What the engine reads besides the facts (tickets, status_log and
severity_log derived by normalize.sql, and the SLA ledger) is cached per generation under
`<root>/cache/gen-N/` with the Delta version it came from; the writer stages it before its commit,
and any process that finds it missing (another host's batch, a writer killed after its commit)
derives it again from that version. Readers pin a generation, so one page run never mixes two.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import NoReturn

import duckdb
import pandas as pd
from deltalake import DeltaTable

from sla_engine.errors import StoreError, TermsError
from sla_engine.rulebook.terms import Terms, check_no_overlap, parse_terms
from sla_engine.sqlfiles import connect
from sla_engine.store.gen_files import relation_sql
from sla_engine.store.table import (
    COMMIT_RETRIES,
    Conflict,
    Location,
    Table,
    backoff,
    column,
    relation,
    resolved_tickets_sql,
    terms_predicate,
    terms_rows,
    ticket_parts,
)

KEEP_GENERATIONS = 3
# A cached generation that stops being current stays on disk at least this long, however many
# newer ones are committed, so a reader attached to it (a page run, a report, an export) finishes.
# (Its facts stay readable by time travel until the vacuum removes them: store_maintain.py.)
READ_GRACE_SECONDS = 15 * 60
SUPERSEDED = "SUPERSEDED"  # marker file: its mtime is when the generation stopped being current
VERSION = "VERSION"  # in a cached generation: the Delta version it was derived from
DERIVED = ("tickets", "status_log", "severity_log")
FACTS = ("base", "events", "quarantine", "batches")
FILES = FACTS + DERIVED
GENERATION_NAME = re.compile(r"gen-[0-9]{6}")
# the list of batches: each batch's row, as its JSON payload holds it
BATCH_COLUMNS = {
    "batch_id": "BIGINT",
    "file": "VARCHAR",
    "history_file": "VARCHAR",
    "profile": "VARCHAR",
    "tz": "VARCHAR",
    "contract": "VARCHAR",
    "fingerprint": "VARCHAR",
    "ingested_at": "VARCHAR",
    "input_rows": "BIGINT",
    "loaded_rows": "BIGINT",
    "updated_rows": "BIGINT",
    "unchanged_rows": "BIGINT",
    "quarantined_rows": "BIGINT",
    "tickets_loaded": "BIGINT",
    "tickets_updated": "BIGINT",
    "tickets_unchanged": "BIGINT",
}
QUARANTINE_COLUMNS = {
    "file": "VARCHAR",
    "row": "BIGINT",
    "column": "VARCHAR",
    "reason": "VARCHAR",
    "rule": "VARCHAR",
    "value": "VARCHAR",
}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Every file and folder under `root`, and `root` itself, on disk before a rename makes them
    visible."""
    for f in root.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        else:
            _fsync_dir(f)
    _fsync_dir(root)


def atomic_write(path: Path, text: str) -> None:
    """Write-then-rename so a reader sees the old or the new file, never a torn one."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def json_columns(columns: dict[str, str]) -> str:
    """A json_transform structure for a payload with these columns."""
    return json.dumps(columns)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Snapshot:
    """One committed version of the table and the batch it ends with (its generation)."""

    def __init__(self, dt: DeltaTable, batch: int) -> None:
        self.dt = dt
        self.batch = batch

    @property
    def version(self) -> int:
        return int(self.dt.version())

    @property
    def name(self) -> str:
        return f"gen-{self.batch:06d}"


def last_batch(dt: DeltaTable, location: Location) -> int:
    """The highest batch id in this snapshot (0: no batch yet)."""
    return int(max(column(dt, location, "batch", "batch_id"), default=0) or 0)


class Store:
    def __init__(self, root: Path, url: str | None = None) -> None:
        self.root = Path(root)
        self.table = Table(Location.of(self.root, url))

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    # ---- versions and generations ----
    def snapshot(self) -> Snapshot | None:
        """The latest committed version, or None for an empty store."""
        if (self.root / "CURRENT").exists():
            from sla_engine.store.migrate import (
                migrate,  # a store of generations, from before the table
            )

            migrate(self)
        dt = self.table.open()
        if dt is None:
            return None
        batch = last_batch(dt, self.table.location)
        return Snapshot(dt, batch) if batch else None

    def current(self) -> Path | None:
        """This host's cached generation of the latest version (derived now if another host or a
        killed writer left it missing), or None for an empty store."""
        snap = self.snapshot()
        return None if snap is None else self.cached(snap)

    def generation_number(self) -> int:
        snap = self.snapshot()
        return snap.batch if snap else 0

    def pinned(self, name: str) -> PinnedStore:
        """This store read at generation `name` only (see PinnedStore)."""
        return PinnedStore(self.root, name, self.table.location)

    def cached(self, snap: Snapshot) -> Path:
        path = self.cache / snap.name
        if (path / VERSION).exists():
            return path
        staged = self.staging(snap.batch)
        from sla_engine.store.cache import (
            derive_into,  # the engine's relations from a snapshot's facts
        )

        derive_into(self, snap, staged)
        return self.promote(staged, snap.version)

    def staging(self, batch: int) -> Path:
        """A fresh folder where this process prepares generation `batch` before it is promoted
        (folders of writers that died are removed)."""
        self.cache.mkdir(parents=True, exist_ok=True)
        for stale in self.cache.glob(".staging-*"):
            pid = stale.name.split("-")[1]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        outer = self.cache / f".staging-{os.getpid()}-{batch}-{uuid.uuid4().hex[:8]}"
        path = outer / f"gen-{batch:06d}"
        path.mkdir(parents=True)
        return path

    def promote(self, staged: Path, version: int) -> Path:
        """Make a staged generation the cached one of `version` (if another process cached it
        first, that one stays), then drop generations superseded long enough ago."""
        (staged / VERSION).write_text(f"{version}\n", encoding="utf-8")
        fsync_tree(staged)
        final = self.cache / staged.name
        try:
            os.rename(staged, final)
        except OSError:
            if not (final / VERSION).exists():
                raise
        finally:
            shutil.rmtree(staged.parent, ignore_errors=True)
        self._prune(final)
        return final

    def _prune(self, newest: Path) -> None:
        now = time.time()
        gens = sorted(p for p in self.cache.glob("gen-*") if p.is_dir())
        for old in gens:
            if old.name < newest.name and not (old / SUPERSEDED).exists():
                (old / SUPERSEDED).touch()
        for old in gens[:-KEEP_GENERATIONS]:
            marker = old / SUPERSEDED
            since = marker.stat().st_mtime if marker.exists() else old.stat().st_mtime
            if now - since >= READ_GRACE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)

    def version_of(self, gen: Path) -> int:
        try:
            return int((gen / VERSION).read_text(encoding="utf-8").strip())
        except (OSError, ValueError) as e:
            raise StoreError(f"{gen.name} is no longer in the store: reload") from e

    # ---- reading ----
    def generation(self) -> tuple[Path, DeltaTable]:
        """The latest generation's cached folder and the table version its facts are read at
        (the latest one: a compaction or a terms commit since the batch changes no fact)."""
        snap = self.snapshot()
        if snap is None:
            raise StoreError(
                f"the store {self.root} is empty: ingest an export or run `python -m sla_engine "
                f"demo`"
            )
        return self.cached(snap), snap.dt

    def attach(
        self,
        con: duckdb.DuckDBPyConnection,
        only_contract: str | None = None,
        created_between: tuple[int, int] | None = None,
    ) -> None:
        """Views over one generation: tickets, status_log, severity_log (cached) and base, events,
        quarantine, batches (the table at that generation's version).

        `only_contract` restricts `tickets` to one contract and `created_between` (UTC
        microseconds, both ends included) to tickets created then: drill-downs evaluate only what
        they show.
        """
        gen, dt = self.generation()
        self.attach_facts(con, dt)
        for name in DERIVED:
            rel = con.sql(f"SELECT * FROM {relation_sql(gen, name)}")
            if name == "tickets" and only_contract is not None:
                rel = rel.filter(
                    duckdb.ColumnExpression("contract_id")
                    == duckdb.ConstantExpression(only_contract)
                )
            if name == "tickets" and created_between is not None:
                created = duckdb.ColumnExpression("created_us")
                rel = rel.filter(
                    (created >= duckdb.ConstantExpression(int(created_between[0])))
                    & (created <= duckdb.ConstantExpression(int(created_between[1])))
                )
            rel.create_view(name, replace=True)

    def attach_facts(self, con: duckdb.DuckDBPyConnection, dt: DeltaTable) -> None:
        """Views base, events, quarantine, batches over one snapshot of the table."""
        loc = self.table.location
        months, deltas = ticket_parts(dt)
        if not deltas:
            relation(con, dt, loc, "ticket").create_view("_facts_ticket", replace=True)
        else:  # small batches' change sets read over the months (store_table.py)
            relation(con, dt, loc, "ticket", months).create_view("_facts_months", replace=True)
            relation(con, dt, loc, "ticket", deltas).create_view("_facts_deltas", replace=True)
            con.execute(
                "CREATE OR REPLACE TEMP VIEW _facts_ticket AS "
                + resolved_tickets_sql("_facts_months", "_facts_deltas")
            )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW base AS SELECT contract_id, ticket_id, severity,"
            " created_us, first_response_us, resolved_us, content_hash, batch_id, notes"
            " FROM _facts_ticket"
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW events AS SELECT contract_id, ticket_id,"
            " h.changed_us AS changed_us, h.field AS field, h.value AS value, h.seq AS seq"
            " FROM (SELECT contract_id, ticket_id, unnest(history) AS h FROM _facts_ticket)"
        )
        relation(con, dt, loc, "quarantine").create_view("_facts_quarantine", replace=True)
        q = json_columns(QUARANTINE_COLUMNS).replace("'", "''")
        con.execute(
            "CREATE OR REPLACE TEMP VIEW quarantine AS SELECT batch_id, j.* FROM"
            f" (SELECT batch_id, json_transform(payload, '{q}') AS j FROM _facts_quarantine)"
        )
        relation(con, dt, loc, "batch").create_view("_facts_batch", replace=True)
        b = json_columns(BATCH_COLUMNS).replace("'", "''")
        con.execute(
            "CREATE OR REPLACE TEMP VIEW batches AS SELECT j.* FROM"
            f" (SELECT json_transform(payload, '{b}') AS j FROM _facts_batch)"
        )

    def quarantine(self) -> pd.DataFrame:
        con = connect()
        self.attach(con)
        return con.execute("SELECT * FROM quarantine ORDER BY batch_id, file, row").df()

    def batches(self) -> pd.DataFrame:
        """The list of batches of the latest version (read from the table alone)."""
        snap = self.snapshot()
        if snap is None:
            return pd.DataFrame()
        con = connect()
        self.attach_facts(con, snap.dt)
        return con.execute("SELECT * FROM batches ORDER BY batch_id").df()

    # ---- terms ----
    def terms(self) -> list[Terms]:
        """The SLA terms versions of the latest version of the table."""
        dt = self._move_terms_folder() if self.terms_folder_to_move() else self.table.open()
        return [] if dt is None else _terms_of(dt, self.table.location)

    def terms_by_contract(self) -> dict[str, list[Terms]]:
        by: dict[str, list[Terms]] = {}
        for t in self.terms():
            by.setdefault(t.contract_id, []).append(t)
        return by

    def add_terms(self, new: list[Terms]) -> list[str]:
        """Register (or replace, same contract and effective_from) terms versions: one commit,
        checked against the versions of the version it is made on (another host's registration
        in between: read again and check again)."""
        for attempt in range(COMMIT_RETRIES):
            dt = self.table.create()
            existing = {t.terms_id: t for t in _terms_of(dt, self.table.location)}
            for t in new:
                existing[t.terms_id] = t
            check_no_overlap(list(existing.values()))
            touched = sorted({t.contract_id for t in new})
            rows = [t for t in existing.values() if t.contract_id in touched]
            try:
                self.table.commit(dt, terms_rows(rows), terms_predicate(touched))
                return [t.terms_id for t in new]
            except Conflict:
                time.sleep(backoff(attempt))
        raise StoreError("the terms could not be registered: other writers kept committing first")

    def terms_folder_to_move(self) -> bool:
        """Terms files of a store from before the table (one JSON file per version)."""
        return any((self.root / "terms").glob("*.json"))

    def _move_terms_folder(self) -> DeltaTable:
        """The table with the old terms folder moved into it (once; the folder is renamed)."""
        folder = self.root / "terms"
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".migrate.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            if any(folder.glob("*.json")):
                old = [
                    t
                    for f in sorted(folder.glob("*.json"))
                    for t in parse_terms(json.loads(f.read_text(encoding="utf-8")), str(f))
                ]
                self.add_terms(old)
                folder.rename(self.root / f"terms.migrated-{int(time.time())}")
        return self.table.create()


def _terms_of(dt: DeltaTable, location: Location) -> list[Terms]:
    docs = column(dt, location, "terms", "payload")
    out = [t for doc in docs for t in parse_terms(json.loads(doc), "store")]
    return sorted(out, key=lambda t: t.terms_id)  # the order the terms files were read in


class PinnedStore(Store):
    """The store as one generation, read-only: every read goes to that generation even after a
    batch commits a newer one, so the figures of one page run (or one report, or one evidence
    file) all come from the generation its cache key names — with several app processes and
    writers at once, never a mix. A superseded generation stays cached READ_GRACE_SECONDS."""

    def __init__(self, root: Path, name: str, location: Location | None = None) -> None:
        if not GENERATION_NAME.fullmatch(name):
            raise StoreError(f"{name!r} is not a store generation")
        super().__init__(root)
        if location is not None:
            self.table = Table(location)
        self.name = name

    def current(self) -> Path:
        gen = self.cache / self.name
        if not (gen / VERSION).exists():
            raise StoreError(
                f"generation {self.name} is no longer in the store: reload to read the current one"
            )
        return gen

    def generation(self) -> tuple[Path, DeltaTable]:
        gen = self.current()
        dt = self.table.open(self.version_of(gen))
        assert dt is not None
        return gen, dt

    def staging(self, batch: int) -> NoReturn:
        raise StoreError(f"the store read at {self.name} is read-only")

    def add_terms(self, new: list[Terms]) -> NoReturn:
        raise StoreError(f"the store read at {self.name} is read-only")

    def batches(self) -> pd.DataFrame:
        con = connect()
        dt = self.table.open(self.version_of(self.current()))
        assert dt is not None
        self.attach_facts(con, dt)
        return con.execute("SELECT * FROM batches ORDER BY batch_id").df()


def require_terms(store: Store, contract: str | None) -> dict[str, list[Terms]]:
    by = store.terms_by_contract()
    if contract is not None and contract not in by:
        raise TermsError(
            f"no SLA terms registered for contract {contract}: `python -m sla_engine terms add "
            f"FILE`"
        )
    return by
