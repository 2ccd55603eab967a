"""Closed credit months, as finance froze them: the repository the closing flow goes through
(flows/closing.py holds no SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.adapters.orm import ClosedMonthRow


@dataclass(frozen=True)
class ClosedMonth:
    contract_id: str
    month: str  # YYYY-MM
    figures: dict[str, Any]  # the credit row as it was when closed
    approved_by: str
    approved_at: datetime


class ClosedMonthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, contract_id: str, month: str) -> ClosedMonth | None:
        row = self._row(contract_id, month)
        return None if row is None else _closed(row)

    def all(self) -> list[ClosedMonth]:
        return [_closed(r) for r in self.session.scalars(select(ClosedMonthRow))]

    def add(self, closed: ClosedMonth) -> None:
        self.session.add(
            ClosedMonthRow(
                contract_id=closed.contract_id,
                month=closed.month,
                figures=dict(closed.figures),
                approved_by=closed.approved_by,
                approved_at=closed.approved_at,
            )
        )

    def remove(self, contract_id: str, month: str) -> None:
        row = self._row(contract_id, month)
        if row is not None:
            self.session.delete(row)

    def _row(self, contract_id: str, month: str) -> ClosedMonthRow | None:
        return self.session.scalars(
            select(ClosedMonthRow).where(
                ClosedMonthRow.contract_id == contract_id, ClosedMonthRow.month == month
            )
        ).first()


def _closed(r: ClosedMonthRow) -> ClosedMonth:
    return ClosedMonth(r.contract_id, r.month, dict(r.figures), r.approved_by, r.approved_at)
