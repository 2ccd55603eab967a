"""Each contract's routing (contracts/services/routing.py says what it means): its customer keys and
its priority labels, one row per contract."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.adapters.orm import ContractRoutingRow
from contracts.domain.events import utcnow


@dataclass
class Routing:
    contract_id: str
    customer_keys: list[str] = field(default_factory=list)
    severity_map: dict[str, str] = field(default_factory=dict)  # priority label -> tier


class RoutingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[Routing]:
        return [_routing(r) for r in self.session.scalars(select(ContractRoutingRow))]

    def get(self, contract_id: str) -> Routing:
        """The contract's routing (empty when never set)."""
        row = self.session.get(ContractRoutingRow, contract_id)
        return Routing(contract_id) if row is None else _routing(row)

    def save(self, routing: Routing, actor: str) -> None:
        row = self.session.get(ContractRoutingRow, routing.contract_id)
        if row is None:
            row = ContractRoutingRow(contract_id=routing.contract_id)
            self.session.add(row)
        row.customer_keys = list(routing.customer_keys)
        row.severity_map = dict(routing.severity_map)
        row.updated_by, row.updated_at = actor, utcnow()


def _routing(r: ContractRoutingRow) -> Routing:
    return Routing(r.contract_id, list(r.customer_keys), dict(r.severity_map))
