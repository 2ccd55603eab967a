"""Help-desk connections (contracts/services/connections.py holds their rules): rows by id or
name, the due ones, and the lease a worker takes with one conditional UPDATE, so two workers on
any hosts never run one connection at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from contracts.adapters.orm import ConnectionRow


class ConnectionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: ConnectionRow) -> int:
        self.session.add(row)
        self.session.flush()
        return int(row.id)

    def get(self, connection_id: int) -> ConnectionRow | None:
        return self.session.get(ConnectionRow, connection_id)

    def named(self, name: str) -> ConnectionRow | None:
        return self.session.scalars(select(ConnectionRow).where(ConnectionRow.name == name)).first()

    def all(self) -> list[ConnectionRow]:
        return list(self.session.scalars(select(ConnectionRow).order_by(ConnectionRow.name)))

    def due(self, now: datetime, name: str | None = None) -> list[ConnectionRow]:
        """Not paused, and due by `now` (or the named one, whatever its schedule)."""
        q = select(ConnectionRow).where(ConnectionRow.paused.is_(False))
        if name is None:
            q = q.where(ConnectionRow.next_run_at <= now)
        else:
            q = q.where(ConnectionRow.name == name)
        return list(self.session.scalars(q.order_by(ConnectionRow.next_run_at)))

    def take_lease(
        self, connection_id: int, owner: str, now: datetime, until: datetime, dead_owner: str | None
    ) -> bool:
        """The lease, unless another holds an unexpired one (`dead_owner`: a lease holder known to
        be gone, whose lease is free at once)."""
        free = or_(ConnectionRow.lease_until.is_(None), ConnectionRow.lease_until < now)
        if dead_owner is not None:  # only if it is still that dead process's lease
            free = or_(free, ConnectionRow.lease_owner == dead_owner)
        done = self.session.execute(
            update(ConnectionRow)
            .where(ConnectionRow.id == connection_id, free)
            .values(lease_owner=owner, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]
