"""Legal holds, and the purge of a contract whose retention has passed (contracts/services/
retention.py says when): every row that belongs to it — envelopes, signers, tokens, documents,
mail — goes in one transaction; the audit trail keeps what went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contracts.adapters.orm import (
    ContractRow,
    DocumentRow,
    EnvelopeRow,
    LegalHoldRow,
    OutboxRow,
    SignerRow,
    TemplateRow,
    TokenRow,
)


@dataclass(frozen=True)
class Purged:
    template: str  # "name vN"
    envelopes: list[str]
    documents: list[tuple[str, str, str]]  # kind, file name, SHA-256


class RetentionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def template_exists(self, name: str) -> bool:
        return self.session.get(TemplateRow, name) is not None

    def contract_exists(self, contract_id: str) -> bool:
        return self.session.get(ContractRow, contract_id) is not None

    def template_of(self, contract_id: str) -> str | None:
        row = self.session.get(ContractRow, contract_id)
        return row.template_name if row is not None else None

    def open_holds(self, contract_id: str) -> list[LegalHoldRow]:
        return list(
            self.session.scalars(
                select(LegalHoldRow).where(
                    LegalHoldRow.contract_id == contract_id, LegalHoldRow.released_at.is_(None)
                )
            )
        )

    def place_hold(self, contract_id: str, reason: str, actor: str, at: datetime) -> None:
        self.session.add(
            LegalHoldRow(contract_id=contract_id, reason=reason, placed_by=actor, placed_at=at)
        )

    def purge(self, contract_id: str) -> Purged | None:
        """Delete the contract and everything of its envelopes; None when there is no such
        contract (then nothing is deleted)."""
        c = self.session.get(ContractRow, contract_id)
        if c is None:
            return None
        envelopes = list(
            self.session.scalars(
                select(EnvelopeRow.id).where(EnvelopeRow.contract_id == contract_id)
            )
        )
        docs = [
            (d.kind, d.filename, d.sha256)
            for d in self.session.scalars(
                select(DocumentRow).where(DocumentRow.envelope_id.in_(envelopes))
            )
        ]
        for table in (TokenRow, DocumentRow, SignerRow):
            self.session.execute(delete(table).where(table.envelope_id.in_(envelopes)))
        self.session.execute(delete(OutboxRow).where(OutboxRow.envelope_id.in_(envelopes)))
        self.session.execute(delete(EnvelopeRow).where(EnvelopeRow.id.in_(envelopes)))
        self.session.delete(c)
        return Purged(f"{c.template_name} v{c.template_version}", envelopes, docs)
