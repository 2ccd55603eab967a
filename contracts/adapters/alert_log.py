"""Alert rules and their record (contracts/services/alert_rules.py, flows/alerts.py): every
crossing recorded once per rule, ticket, metric, tier and threshold — sent, or kept quiet with the
reason — and each rule's webhook failures in a row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.adapters.insert_once import insert_once
from contracts.adapters.orm import AlertRuleRow, AlertSentRow

KEY_COLUMNS = ("contract_id", "ticket_id", "metric", "tier", "threshold")


@dataclass(frozen=True)
class RuleHealth:
    failures: int  # webhook failures in a row, after this delivery
    active: bool


class AlertLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def recorded_since(self, rule_id: int, after_id: int) -> list[tuple[Any, ...]]:
        """The rule's recorded crossings with an id above `after_id`, oldest first:
        (id, contract_id, ticket_id, metric, tier, threshold)."""
        return [
            tuple(r)
            for r in self.session.execute(
                select(AlertSentRow.id, *(getattr(AlertSentRow, c) for c in KEY_COLUMNS))
                .where(AlertSentRow.rule_id == rule_id, AlertSentRow.id > after_id)
                .order_by(AlertSentRow.id)
            ).all()
        ]

    def claim(self, rows: list[dict[str, Any]]) -> list[int]:
        """Record crossings (rule_id, the key columns, at, payload, outcome, webhook_status); the
        ids of those recorded now — one another worker recorded first is skipped."""
        return insert_once(self.session, AlertSentRow, rows)

    def webhook_delivered(self, sent_id: int, rule_id: int, status: str) -> RuleHealth | None:
        """Record one webhook delivery's outcome on the alert and its rule's failures in a row
        (reset by a delivery); None when the alert or the rule is gone."""
        sent = self.session.get(AlertSentRow, sent_id)
        rule = self.session.get(AlertRuleRow, rule_id)
        if sent is None or rule is None:
            return None
        sent.webhook_status = status[:40]
        rule.failures = 0 if status == "delivered" else rule.failures + 1
        return RuleHealth(rule.failures, rule.active)

    def disable_rule(self, rule_id: int) -> None:
        rule = self.session.get(AlertRuleRow, rule_id)
        if rule is not None:
            rule.active = False

    def add_rule(self, row: AlertRuleRow) -> int:
        self.session.add(row)
        self.session.flush()
        return int(row.id)

    def rule(self, rule_id: int) -> AlertRuleRow | None:
        return self.session.get(AlertRuleRow, rule_id)

    def rules(self, active_only: bool) -> list[AlertRuleRow]:
        q = select(AlertRuleRow).order_by(AlertRuleRow.id)
        if active_only:
            q = q.where(AlertRuleRow.active.is_(True))
        return list(self.session.scalars(q))

    def recent(self, rule_id: int, limit: int) -> list[AlertSentRow]:
        """The rule's most recent crossings, newest first."""
        return list(
            self.session.scalars(
                select(AlertSentRow)
                .where(AlertSentRow.rule_id == rule_id)
                .order_by(AlertSentRow.id.desc())
                .limit(limit)
            )
        )
