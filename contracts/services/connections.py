"""Help-desk connections: add, pause, resume (each audited), the lease that keeps two workers off
one connection, and the cursor that advances only after its batch is in the store.

The lease is one conditional UPDATE (taken when free or expired), so it holds across processes
and hosts on one database. Credentials are sealed with the deployment's key (secret_box), never
returned to a page, never logged or audited."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from contracts.adapters import secret_box
from contracts.adapters.orm import ConnectionRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain import limits
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.errors import SettingsError, SigningError

VENDORS = ("zendesk", "servicenow", "jira", "freshdesk", "freshservice")
MIN_EVERY_S = 60
DEFAULT_EVERY_S = 600
LEASE_S = 900  # a sync that holds its lease longer is presumed dead and another may take over
_EVERY = re.compile(r"^\s*(\d{1,5})\s*([smh])\s*$")


@dataclass(frozen=True)
class Connection:
    """A connection as pages and the worker see it: everything but the credential."""

    id: int
    name: str
    vendor: str
    base_url: str
    username: str
    contract_id: str | None
    every_s: int
    since: datetime
    cursor: dict
    paused: bool
    next_run_at: datetime
    last_run_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    leased_by: str | None


def parse_every(text: str) -> int:
    """'10m', '1h', '90s' -> seconds (at least a minute)."""
    m = _EVERY.match(text or "")
    if not m:
        raise SettingsError(f"schedule {text!r}: write a number with s, m or h, e.g. 10m")
    seconds = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]
    if seconds < MIN_EVERY_S:
        raise SettingsError(f"schedule {text!r}: at least every {MIN_EVERY_S} seconds")
    return seconds


def _view(r: ConnectionRow) -> Connection:
    return Connection(
        r.id,
        r.name,
        r.vendor,
        r.base_url,
        r.username,
        r.contract_id,
        r.every_s,
        _aware(r.since),
        dict(r.cursor or {}),
        r.paused,
        _aware(r.next_run_at),
        _aware(r.last_run_at) if r.last_run_at else None,
        _aware(r.last_ok_at) if r.last_ok_at else None,
        r.last_error,
        r.rows_read,
        r.rows_loaded,
        r.rows_quarantined,
        r.lease_owner if r.lease_until and _aware(r.lease_until) > utcnow() else None,
    )


def _aware(t: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored instant is UTC."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _check_base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError(f"base URL {url[:80]!r}: an http(s) address is needed")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SettingsError(
            f"base URL {url[:80]!r}: credentials go only over https (http is for loopback tests)"
        )
    if parts.query or parts.fragment:
        raise SettingsError(f"base URL {url[:80]!r}: no query or fragment, only the site")
    return url.strip().rstrip("/")


def add(
    uow: UnitOfWork,
    name: str,
    vendor: str,
    base_url: str,
    username: str,
    secret: str,
    actor: str,
    contract_id: str | None = None,
    every: str = "10m",
    since: datetime | None = None,
) -> int:
    """A new connection (audited, the credential sealed); its first run is due now."""
    try:
        name = limits.one_line(name, "connection name", 100)
        username = limits.one_line(username, "user", 200)
    except SigningError as exc:
        raise SettingsError(str(exc)) from exc
    if vendor not in VENDORS:
        raise SettingsError(f"vendor is one of {', '.join(VENDORS)}, not {vendor!r}")
    if not secret.strip():
        raise SettingsError("the connection needs its API token or password")
    if len(secret) > 4000:
        raise SettingsError("the API token or password is longer than 4,000 characters")
    base = _check_base_url(base_url)
    every_s = parse_every(every)
    now = utcnow()
    start = since or now - timedelta(days=30)
    if start > now:
        raise SettingsError("the backfill start is in the future")
    with uow:
        taken = uow.connections.named(name)
        if taken is not None:
            raise SettingsError(f"a connection named {name!r} exists already")
        row = ConnectionRow(
            name=name,
            vendor=vendor,
            base_url=base,
            username=username,
            secret=secret_box.seal(secret.strip()),
            contract_id=contract_id or None,
            every_s=every_s,
            since=start,
            cursor={},
            paused=False,
            next_run_at=now,
            rows_read=0,
            rows_loaded=0,
            rows_quarantined=0,
            created_by=actor,
            created_at=now,
        )
        uow.connections.add(row)
        uow.record(
            Event(
                AuditKind.CONNECTION_ADDED,
                f"connection:{row.id}",
                {
                    "name": name,
                    "vendor": vendor,
                    "base_url": base,
                    "user": username,
                    "contract": contract_id,
                    "every_s": every_s,
                    "since": start.isoformat(),
                },
                now,
                actor,
            )
        )
        uow.commit()
        return int(row.id)


def all_connections(uow: UnitOfWork) -> list[Connection]:
    with uow:
        return [_view(r) for r in uow.connections.all()]


def by_name(uow: UnitOfWork, name: str) -> Connection:
    with uow:
        row = uow.connections.named(name)
        if row is None:
            raise SettingsError(f"no connection named {name!r}")
        return _view(row)


def set_paused(uow: UnitOfWork, connection_id: int, paused: bool, actor: str) -> None:
    with uow:
        row = uow.connections.get(connection_id)
        if row is None:
            raise SettingsError(f"no connection {connection_id}")
        if row.paused == paused:
            return
        row.paused = paused
        uow.record(
            Event(
                AuditKind.CONNECTION_PAUSED if paused else AuditKind.CONNECTION_RESUMED,
                f"connection:{row.id}",
                {"name": row.name},
                utcnow(),
                actor,
            )
        )
        uow.commit()


def run_now(uow: UnitOfWork, connection_id: int) -> None:
    """Make a connection due now (the worker takes it at its next turn)."""
    with uow:
        row = uow.connections.get(connection_id)
        if row is None:
            raise SettingsError(f"no connection {connection_id}")
        row.next_run_at = utcnow()
        uow.commit()


def due(uow: UnitOfWork, name: str | None = None) -> list[Connection]:
    """Connections whose turn has come (or the named one, whatever its schedule), not paused."""
    with uow:
        return [_view(r) for r in uow.connections.due(utcnow(), name)]


def _dead_here(owner: str | None) -> bool:
    """A lease held by a process of this host that no longer runs (killed): free to take."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def take_lease(uow: UnitOfWork, connection_id: int, owner: str) -> bool:
    """The connection is this worker's for LEASE_S, unless another holds an unexpired lease (a
    lease of a killed process on this host is free at once; on another host, when it expires)."""
    now = utcnow()
    with uow:
        row = uow.connections.get(connection_id)
        dead = row.lease_owner if row is not None and _dead_here(row.lease_owner) else None
        done = uow.connections.take_lease(
            connection_id, owner, now, now + timedelta(seconds=LEASE_S), dead
        )
        uow.commit()
        return done


def credential(uow: UnitOfWork, connection_id: int) -> str:
    """The unsealed credential, for the connector only."""
    with uow:
        row = uow.connections.get(connection_id)
        if row is None:
            raise SettingsError(f"no connection {connection_id}")
        return secret_box.unseal(row.secret)


def advance(
    uow: UnitOfWork,
    connection_id: int,
    owner: str,
    cursor: dict,
    read: int,
    loaded: int,
    quarantined: int,
) -> None:
    """Save the cursor after its batch is in the store, and renew the lease; refused when the
    lease was lost (another worker took over: its cursor wins)."""
    now = utcnow()
    with uow:
        row = uow.connections.get(connection_id)
        if row is None or row.lease_owner != owner:
            raise SettingsError(f"connection {connection_id}: the lease was lost")
        row.cursor = cursor
        row.rows_read += read
        row.rows_loaded += loaded
        row.rows_quarantined += quarantined
        row.lease_until = now + timedelta(seconds=LEASE_S)
        uow.commit()


def finish(
    uow: UnitOfWork, connection_id: int, owner: str, error: str | None, summary: dict
) -> None:
    """End a run: release the lease, set the next run, record the outcome (audited)."""
    now = utcnow()
    with uow:
        row = uow.connections.get(connection_id)
        if row is None:
            return
        if row.lease_owner == owner:
            row.lease_owner = None
            row.lease_until = None
        row.last_run_at = now
        row.next_run_at = now + timedelta(seconds=row.every_s)
        row.last_error = error[:500] if error else None
        if error is None:
            row.last_ok_at = now
        uow.record(
            Event(
                AuditKind.CONNECTION_FAILED if error else AuditKind.CONNECTION_SYNCED,
                f"connection:{row.id}",
                {"name": row.name, **summary, **({"error": error[:300]} if error else {})},
                now,
                "worker",
            )
        )
        uow.commit()
