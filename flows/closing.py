"""Closing a credit month: finance approves the figures, they are frozen, and later re-ingests show
a
difference against them instead of silently changing a closed month."""

from __future__ import annotations

import pandas as pd

from contracts.adapters.closed_months import ClosedMonth
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import Event, utcnow
from contracts.domain.lifecycle import AuditKind
from contracts.domain.limits import reason_text
from contracts.errors import ContractsError
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
        exists = uow.closed_months.get(row["contract_id"], row["month"])
        if exists is not None:
            raise ClosingError(
                f"{row['contract_id']} {row['month']} was closed by {exists.approved_by}; it stays "
                f"closed"
            )
        uow.closed_months.add(
            ClosedMonth(row["contract_id"], row["month"], figures, approver, utcnow())
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


def reopen_month(
    uow: UnitOfWork, contract_id: str, month: str, actor: str, reason: str, recomputed: dict
) -> dict:
    """Reopen a closed month (finance, with a reason): the frozen figures leave the books, the
    audit trail keeps them with the reason and the recomputed figures; returns the frozen ones."""
    try:
        why = reason_text(reason, "the reason for reopening")
    except ContractsError as exc:
        raise ClosingError(f"{exc} (it goes into the audit trail)") from exc
    with uow:
        row = uow.closed_months.get(contract_id, month)
        if row is None:
            raise ClosingError(f"{contract_id} {month} is not closed")
        frozen = dict(row.figures)
        approved = f"{row.approved_by} at {row.approved_at:%Y-%m-%d %H:%M} UTC"
        uow.closed_months.remove(contract_id, month)
        uow.record(
            Event(
                AuditKind.CREDITS_MONTH_REOPENED,
                contract_id,
                {
                    "month": month,
                    "reason": why,
                    "closed": approved,
                    "frozen_amount": frozen.get("amount"),
                    "recomputed_amount": recomputed.get("amount"),
                    "frozen_credit_pct": frozen.get("credit_pct"),
                    "recomputed_credit_pct": recomputed.get("credit_pct"),
                },
                utcnow(),
                actor,
            )
        )
        uow.commit()
    return frozen


def with_closed(uow: UnitOfWork, credits: pd.DataFrame) -> pd.DataFrame:
    """Closed months show their frozen figures; `recomputed_amount` and `difference` tell what
    changed since."""
    with uow:
        closed = {(r.contract_id, r.month): r for r in uow.closed_months.all()}
    out = credits.copy()
    out["closed_by"] = None
    out["closed_at"] = None
    out["recomputed_amount"] = out["amount"]
    for i, r in out.iterrows():
        c = closed.get((r["contract_id"], r["month"]))
        if c is None:
            continue
        for k, v in c.figures.items():
            out.at[i, k] = v
        out.at[i, "closed_by"] = c.approved_by
        out.at[i, "closed_at"] = f"{c.approved_at:%Y-%m-%d %H:%M} UTC"
    out["difference"] = (
        out["recomputed_amount"].astype(float) - out["amount"].astype(float)
    ).round(2)
    return out
