"""Where a contract stands on renewal, in words, from its signed term (table-driven): the
Renewals page and the brief say "notice missed" or "lapsed", never a bare "(-92 days)"."""

from __future__ import annotations

from datetime import date

import pytest
from contracts_fixtures import example

from contracts.domain.contract import Contract
from contracts.domain.fields import ContractFields
from contracts.domain.lifecycle import ContractState


def _contract(auto_renew: bool, state: ContractState = ContractState.SIGNED) -> Contract:
    values = example("saas-support") | {
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "notice_period_days": 60,
        "auto_renew": auto_renew,
        "renewal_term_months": 12,
    }
    fields = ContractFields.model_validate(values).model_dump(mode="json")
    return Contract("C-1", "saas-support", 1, "x", fields, state=state)


@pytest.mark.parametrize(
    ("auto_renew", "today", "state", "said"),
    [
        (True, date(2025, 10, 1), ContractState.SIGNED, "notice due by 2025-11-01 (31 days left)"),
        (True, date(2025, 11, 1), ContractState.SIGNED, "notice due by 2025-11-01 (0 days left)"),
        (
            True,
            date(2025, 12, 1),
            ContractState.SIGNED,
            "notice missed (30 days ago): renews 2026-01-01 for 12 months",
        ),
        (False, date(2025, 12, 1), ContractState.SIGNED, "lapses on 2025-12-31 (no auto-renewal)"),
        (
            True,
            date(2026, 3, 1),
            ContractState.SIGNED,
            "renewed on 2026-01-01 for 12 months (no notice on file)",
        ),
        (False, date(2026, 3, 1), ContractState.SIGNED, "lapsed on 2025-12-31"),
        (True, date(2025, 6, 1), ContractState.TERMINATED, "ended (terminated)"),
        (True, date(2025, 6, 1), ContractState.DRAFT, "not signed (draft)"),
    ],
)
def test_renewal_status(auto_renew, today, state, said):
    assert _contract(auto_renew, state).renewal_status(today) == said
