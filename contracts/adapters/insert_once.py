"""INSERT … ON CONFLICT DO NOTHING RETURNING id, in the dialect of the session's database: how a
row that must exist once (an alert, a notice) is claimed by whichever worker comes first, with no
exception to catch and no transaction spoiled by a duplicate."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

CHUNK = 1000  # rows per statement


def insert_once(session: Session, row_class: Any, rows: list[dict[str, Any]]) -> list[int]:
    """The ids of the rows inserted; a row whose unique key exists already is skipped."""
    bind = session.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        stmt = insert(row_class).on_conflict_do_nothing().returning(row_class.id)
        ids += [int(r[0]) for r in session.execute(stmt, rows[i : i + CHUNK]).all()]
    return ids
