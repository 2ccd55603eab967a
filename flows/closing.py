"""Closing a credit month: finance approves the figures, they are frozen, and later re-ingests show
a
difference against them instead of silently changing a closed month."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from contracts.adapters.orm import ClosedMonthRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from flows.errors import ClosingError

FROZEN = ["credit_pct", "amount", "currency", "capped", "compliance", "reason", "terms_id"]


def close_month(uow: UnitOfWork, row: dict, approver: str) -> None:
    """Freeze one contract-month's credit row (as computed now) with its approver; audited."""
    figures = {
        k: (
            bool(row[k])
            if k == "capped"
            else float(row[k])
            if k in ("credit_pct", "amount")
            else str(row[k])
        )
        for k in FROZEN
    }
    with uow:
        exists = uow.session.scalars(
            select(ClosedMonthRow).where(
                ClosedMonthRow.contract_id == row["contract_id"],
                ClosedMonthRow.month == row["month"],
            )
        ).first()
        if exists is not None:
            raise ClosingError(
                f"{row['contract_id']} {row['month']} was closed by {exists.approved_by}; it stays "
                f"closed"
            )
        uow.session.add(
            ClosedMonthRow(
                contract_id=row["contract_id"],
                month=row["month"],
                figures=figures,
                approved_by=approver,
                approved_at=utcnow(),
            )
        )
        uow.record(
            Event(
                AuditKind.CREDITS_MONTH_CLOSED,
                row["contract_id"],
                {"month": row["month"], **figures},
                utcnow(),
                approver,
            )
        )
        uow.commit()


def with_closed(uow: UnitOfWork, credits: pd.DataFrame) -> pd.DataFrame:
    """Closed months show their frozen figures; `recomputed_amount` and `difference` tell what
    changed since."""
    with uow:
        closed = {(r.contract_id, r.month): r for r in uow.session.scalars(select(ClosedMonthRow))}
    out = credits.copy()
    out["closed_by"] = None
    out["recomputed_amount"] = out["amount"]
    for i, r in out.iterrows():
        c = closed.get((r["contract_id"], r["month"]))
        if c is None:
            continue
        for k, v in c.figures.items():
            out.at[i, k] = v
        out.at[i, "closed_by"] = f"{c.approved_by} {c.approved_at:%Y-%m-%d}"
    out["difference"] = (
        out["recomputed_amount"].astype(float) - out["amount"].astype(float)
    ).round(2)
    return out
