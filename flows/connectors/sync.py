"""Run a connection: take its lease, pull from the saved cursor, put each batch in the store with
the file import's own ingest, and only then save the cursor.

Exactly-once effect: a worker killed anywhere loses nothing (the cursor still points before the
batch it was loading, so the next run reads it again) and doubles nothing (the ingest keys
tickets by contract and id, so a batch read twice changes nothing). Two workers never run one
connection at once: the lease (contracts/services/connections.py) is one conditional UPDATE."""

from __future__ import annotations

import csv
import json
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import ContractsError
from contracts.services import connections
from contracts.services.connections import Connection
from flows.connectors import http
from flows.connectors.vendors import PROFILE, PULL, TIMEZONE, Batch, ConnectorError
from flows.ingest import ingest_export
from sla_engine.errors import SlaEngineError
from sla_engine.sqlfiles import connect
from sla_engine.store.core import Store

BATCH_RECORDS = 5000  # pages are combined up to this many records per ingest
ID_FIELD = {
    "tickets": "id",
    "metric_sets": "ticket_id",
    "result": "sys_id",
    "issues": "key",
}


@dataclass
class SyncResult:
    name: str
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    batches: int = 0
    error: str | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        if self.skipped:
            return f"{self.name}: skipped ({self.skipped})"
        said = (
            f"{self.name}: {self.read} record(s) read in {self.batches} batch(es), "
            f"{self.loaded} loaded or updated, {self.quarantined} quarantined"
        )
        said += "".join(f"; {n}" for n in self.notes)
        return said + (f"; FAILED: {self.error}" if self.error else "")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _dedupe(doc: dict) -> dict:
    """A record read twice in one batch (a page repeated, an overlap) is kept once, the last."""
    out = {}
    for key, rows in doc.items():
        id_field = ID_FIELD.get(key)
        if id_field is None or not isinstance(rows, list):
            out[key] = rows
            continue
        seen: dict = {}
        for r in rows:
            ident = r.get(id_field) if isinstance(r, dict) else None
            if ident is None and key == "result" and isinstance(r, dict):
                ident = r.get("number")
            seen[json.dumps(ident) if ident is not None else f"#{len(seen)}"] = r
        out[key] = list(seen.values())
    return out


def _write_history(rows: list[dict], path: Path) -> Path | None:
    """The batch's status history as the file import's second file (one row per change, each
    read once), or None when the help desk sent none."""
    if not rows:
        return None
    columns = list(rows[0])
    seen: set[tuple] = set()
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            values = tuple("" if r.get(c) is None else str(r.get(c)) for c in columns)
            if values not in seen:
                seen.add(values)
                w.writerow(values)
    return path


def _combined(batches: Iterator[Batch]) -> Iterator[Batch]:
    """Pages joined until BATCH_RECORDS, so a small page size does not mean an ingest per page."""
    pending: Batch | None = None
    for b in batches:
        if b.present is not None:  # a reconciliation goes alone, after what came before it
            if pending is not None:
                yield pending
                pending = None
            yield b
            continue
        if pending is None:
            pending = Batch(
                {k: list(v) for k, v in b.document.items()},
                b.records,
                b.cursor,
                list(b.history),
                b.appends,
            )
        else:
            for k, v in b.document.items():
                pending.document.setdefault(k, []).extend(v)
            pending.records += b.records
            pending.cursor = b.cursor
            pending.history.extend(b.history)
        if pending.records >= BATCH_RECORDS:
            yield pending
            pending = None
    if pending is not None:
        yield pending


def sync_connection(
    store: Store,
    uow_factory: Callable[[], UnitOfWork],
    conn: Connection,
    owner: str | None = None,
    backoff_s: float = 0.5,
) -> SyncResult:
    """One run of one connection (see the module docstring)."""
    owner = owner or worker_id()
    result = SyncResult(conn.name)
    if not connections.take_lease(uow_factory(), conn.id, owner):
        result.skipped = "another worker is running it"
        return result
    try:
        session = http.session(
            conn.username, connections.credential(uow_factory(), conn.id), backoff_s
        )
        pull = PULL[conn.vendor](session, conn.base_url, conn.cursor, conn.since)
        with tempfile.TemporaryDirectory(prefix="covenant-sync-") as tmp:
            for n, batch in enumerate(_combined(pull), start=1):
                loaded = quarantined = 0
                if batch.present is not None:
                    gone = _deleted_there(store, conn, batch.present)
                    if gone:
                        _remove(store, uow_factory, conn, gone, Path(tmp) / f"deleted-{n}.csv")
                        result.notes.append(
                            f"{len(gone)} ticket(s) no longer listed by the help desk: removed"
                        )
                elif batch.records:
                    path = Path(tmp) / f"{conn.vendor}-{n}.json"
                    path.write_text(json.dumps(_dedupe(batch.document)), encoding="utf-8")
                    history = _write_history(batch.history, Path(tmp) / f"history-{n}.csv")
                    report = ingest_export(
                        store,
                        uow_factory(),
                        path,
                        PROFILE[conn.vendor],
                        tz=TIMEZONE.get(conn.vendor),
                        contract=conn.contract_id,
                        history=history,
                        history_appends=batch.appends,
                        display_name=f"connection {conn.name} batch {n}",
                        history_name=f"connection {conn.name} batch {n} status history"
                        if history
                        else None,
                    )
                    loaded = report.loaded_rows + report.updated_rows
                    quarantined = report.quarantined_rows
                    path.unlink()
                    if history:
                        history.unlink()
                # the batch is in the store: now, and only now, the cursor moves past it
                connections.advance(
                    uow_factory(), conn.id, owner, batch.cursor, batch.records, loaded, quarantined
                )
                result.read += batch.records
                result.loaded += loaded
                result.quarantined += quarantined
                result.batches += 1
    except (ConnectorError, SlaEngineError, ContractsError, OSError) as exc:
        result.error = str(exc)
    finally:
        connections.finish(
            uow_factory(),
            conn.id,
            owner,
            result.error,
            {"read": result.read, "loaded": result.loaded, "quarantined": result.quarantined},
        )
    return result


# a reconciliation that would remove more than this share of what a connection brought is refused:
# a help desk that suddenly lists almost nothing has lost a permission, not its tickets
MAX_DELETED_SHARE = 0.2
MAX_DELETED_AT_ONCE = 5  # a handful is always believed


def _deleted_there(store: Store, conn: Connection, present: list[str]) -> list[str]:
    """The tickets this connection brought (their latest batch is one of its own) that the help
    desk no longer lists. Refused, in plain words, when that is more than MAX_DELETED_SHARE of
    them (and more than MAX_DELETED_AT_ONCE): the listing is then more likely wrong than the
    deletions real."""
    if store.current() is None or conn.contract_id is None:
        return []
    con = connect()
    try:
        store.attach(con)
        con.execute("CREATE TEMP TABLE _present (ticket_id VARCHAR)")
        con.executemany("INSERT INTO _present VALUES (?)", [[k] for k in present])
        brought, gone = con.execute(
            "WITH mine AS (SELECT b.ticket_id FROM base b JOIN batches x USING (batch_id)"
            " WHERE b.contract_id = ? AND starts_with(x.file, ?))"
            " SELECT (SELECT count(*) FROM mine),"
            " (SELECT list(ticket_id ORDER BY ticket_id) FROM mine"
            "  WHERE ticket_id NOT IN (SELECT ticket_id FROM _present))",
            [conn.contract_id, f"connection {conn.name} batch "],
        ).fetchall()[0]
    finally:
        con.close()
    gone = list(gone or [])
    if len(gone) > MAX_DELETED_AT_ONCE and len(gone) > MAX_DELETED_SHARE * brought:
        raise ConnectorError(
            f"the help desk lists {brought - len(gone):,} of the {brought:,} tickets this "
            f"connection brought; {len(gone):,} missing at once looks like a lost permission, not "
            "deletions: nothing was removed (check the connection's user can see every ticket)"
        )
    return gone


def _remove(
    store: Store,
    uow_factory: Callable[[], UnitOfWork],
    conn: Connection,
    ids: list[str],
    path: Path,
) -> None:
    """The tickets deleted in the help desk leave the store: a batch whose rows say deleted,
    through the same ingest (its report and the audit trail say so)."""
    columns = ["ticket_id", "severity", "created_at", "first_response_at", "resolved_at"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*columns, "status"])  # the status says why each row is left out
        w.writerows([i, "", "", "", "", "deleted"] for i in ids)
    ingest_export(
        store,
        uow_factory(),
        path,
        "generic",
        contract=conn.contract_id,
        display_name=f"connection {conn.name}: tickets no longer listed by the help desk",
    )
    path.unlink()


def test_connection(uow_factory: Callable[[], UnitOfWork], conn: Connection) -> str:
    """Reach the help desk with the saved credentials and read one page, storing nothing."""
    try:
        session = http.session(
            conn.username, connections.credential(uow_factory(), conn.id), backoff_s=0.2
        )
        first = next(iter(PULL[conn.vendor](session, conn.base_url, {}, conn.since)), None)
    except ConnectorError as exc:
        return f"failed: {exc}"
    n = first.records if first else 0
    return f"reached {conn.vendor} at {conn.base_url}: its first page holds {n} ticket(s)"


def sync_due(
    store: Store,
    uow_factory: Callable[[], UnitOfWork],
    name: str | None = None,
    backoff_s: float = 0.5,
) -> list[SyncResult]:
    """Every due connection once (or the named one now)."""
    due = connections.due(uow_factory(), name)
    if name is not None and not due:
        connections.by_name(uow_factory(), name)  # no such connection: a named error
        return [SyncResult(name, skipped="paused")]
    return [sync_connection(store, uow_factory, c, backoff_s=backoff_s) for c in due]
