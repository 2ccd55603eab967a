"""The ticket store: immutable Parquet generations plus an atomically swapped pointer.

Why not one DuckDB file: DuckDB lets one process write a database file and
then nobody else may even read it, so a running dashboard would lock out the
command-line ingest. Here every ingest writes a complete new generation
directory under a file lock, fsyncs it, and then replaces CURRENT with
os.replace (atomic on POSIX). Readers (any number of processes) read CURRENT
once and query that generation's Parquet files with an in-memory DuckDB, so
they never take a lock and never see a half-written ingest. A crash or kill
mid-ingest leaves an unreferenced directory that the next ingest deletes.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import duckdb
import pandas as pd

from .errors import StoreError, TermsError
from .sqlfiles import connect
from .terms import Terms, check_no_overlap, parse_terms

KEEP_GENERATIONS = 3
# A generation that stops being current stays on disk at least this long, however many newer ones
# are published, so a reader attached to it (a page run, a report, an export) finishes its work.
READ_GRACE_SECONDS = 15 * 60
SUPERSEDED = "SUPERSEDED"  # marker file: its mtime is when the generation stopped being current
FILES = ("base", "events", "tickets", "status_log", "severity_log", "quarantine", "batches")


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
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Store:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ---- pointer and generations ----
    def current(self) -> Path | None:
        """Directory of the current generation, or None for an empty store."""
        ptr = self.root / "CURRENT"
        if not ptr.exists():
            return None
        gen = self.root / ptr.read_text(encoding="utf-8").strip()
        if not gen.is_dir():
            raise StoreError(f"{ptr} points to {gen.name}, which is missing")
        return gen

    def generation_number(self) -> int:
        cur = self.current()
        return int(cur.name.split("-")[1]) if cur else 0

    def pinned(self, name: str) -> PinnedStore:
        """This store read at generation `name` only (see PinnedStore)."""
        return PinnedStore(self.root, name)

    @contextmanager
    def write_lock(self, waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """One writer at a time (two ingests queue; readers are never blocked). `waiting` is called
        once if another writer holds the lock, before this one waits for it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    waiting()
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def new_generation_dir(self) -> Path:
        """A fresh directory for the next generation (leftovers of crashed ingests removed)."""
        n = self.generation_number() + 1
        for stale in self.root.glob("gen-*"):
            if stale.is_dir() and int(stale.name.split("-")[1]) >= n:
                shutil.rmtree(stale)
        path = self.root / f"gen-{n:06d}"
        path.mkdir(parents=True)
        return path

    def publish(self, gen: Path) -> None:
        """Make `gen` current, then drop generations that are both older than the last few and
        superseded for longer than READ_GRACE_SECONDS (a reader may still be on them)."""
        fsync_tree(gen)
        previous = self.current()
        atomic_write(self.root / "CURRENT", gen.name + "\n")
        if previous is not None and previous != gen:
            (previous / SUPERSEDED).touch()
        now = time.time()
        gens = sorted(p for p in self.root.glob("gen-*") if p.is_dir())
        for old in gens[:-KEEP_GENERATIONS]:
            marker = old / SUPERSEDED
            since = marker.stat().st_mtime if marker.exists() else old.stat().st_mtime
            if now - since >= READ_GRACE_SECONDS:
                shutil.rmtree(old, ignore_errors=False)

    # ---- reading ----
    def attach(
        self,
        con: duckdb.DuckDBPyConnection,
        only_contract: str | None = None,
        created_between: tuple[int, int] | None = None,
    ) -> None:
        """Views over the current generation: tickets, status_log, severity_log, base, events,
        quarantine, batches.

        `only_contract` restricts `tickets` to one contract and `created_between` (UTC
        microseconds, both ends included) to tickets created then: drill-downs evaluate only what
        they show.
        """
        gen = self.current()
        if gen is None:
            raise StoreError(
                f"the store {self.root} is empty: ingest an export or run `python -m sla_engine "
                f"demo`"
            )
        for name in FILES:
            rel = con.read_parquet(str(gen / f"{name}.parquet"))
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

    def quarantine(self) -> pd.DataFrame:
        con = connect()
        self.attach(con)
        return con.execute("SELECT * FROM quarantine ORDER BY batch_id, file, row").df()

    def batches(self) -> pd.DataFrame:
        if self.current() is None:
            return pd.DataFrame()
        con = connect()
        self.attach(con)
        return con.execute("SELECT * FROM batches ORDER BY batch_id").df()

    # ---- terms ----
    def terms(self) -> list[Terms]:
        out: list[Terms] = []
        for f in sorted((self.root / "terms").glob("*.json")):
            out.extend(parse_terms(json.loads(f.read_text(encoding="utf-8")), str(f)))
        return out

    def terms_by_contract(self) -> dict[str, list[Terms]]:
        by: dict[str, list[Terms]] = {}
        for t in self.terms():
            by.setdefault(t.contract_id, []).append(t)
        return by

    def add_terms(self, new: list[Terms]) -> list[str]:
        """Register (or replace, same contract and effective_from) terms versions."""
        with self.write_lock():
            existing = {t.terms_id: t for t in self.terms()}
            for t in new:
                existing[t.terms_id] = t
            check_no_overlap(list(existing.values()))
            folder = self.root / "terms"
            folder.mkdir(parents=True, exist_ok=True)
            for t in new:
                name = (
                    "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in t.terms_id)
                    + ".json"
                )
                atomic_write(folder / name, t.model_dump_json(indent=2))
        return [t.terms_id for t in new]


GENERATION_NAME = re.compile(r"gen-[0-9]{6}")


class PinnedStore(Store):
    """The store as one generation, read-only: every read goes to that generation even after an
    ingest publishes a newer one, so the figures of one page run (or one report, or one evidence
    file) all come from the generation its cache key names — with several app processes and
    ingests at once, never a mix. A superseded generation stays READ_GRACE_SECONDS."""

    def __init__(self, root: Path, name: str) -> None:
        if not GENERATION_NAME.fullmatch(name):
            raise StoreError(f"{name!r} is not a store generation")
        super().__init__(root)
        self.name = name

    def current(self) -> Path:
        gen = self.root / self.name
        if not gen.is_dir():
            raise StoreError(
                f"generation {self.name} is no longer in the store: reload to read the current one"
            )
        return gen

    def write_lock(self, waiting: Callable[[], None] | None = None) -> NoReturn:
        raise StoreError(f"the store read at {self.name} is read-only")


def require_terms(store: Store, contract: str | None) -> dict[str, list[Terms]]:
    by = store.terms_by_contract()
    if contract is not None and contract not in by:
        raise TermsError(
            f"no SLA terms registered for contract {contract}: `python -m sla_engine terms add "
            f"FILE`"
        )
    return by
