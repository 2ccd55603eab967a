"""Credit schedules, caps, min_tickets and how tiers combine (table-driven)."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import terms_doc

from sla_engine.reports.credits import monthly_credits, with_status
from sla_engine.rulebook.terms import parse_terms


def report(rows):
    return pd.DataFrame(
        [
            {"contract_id": "C", "terms_id": "C@2024-01-01", "month": "2025-03", "pending": 0, **r}
            for r in rows
        ]
    )


def row(sev, metric, met, breached, target=95.0):
    n = met + breached
    return {
        "severity": sev,
        "metric": metric,
        "tickets": n,
        "met": met,
        "breached": breached,
        "compliance_pct": 100.0 * met / n if n else None,
        "target_pct": target,
    }


BANDS = {
    "kind": "bands",
    "bands": [{"below_pct": 95, "credit_pct": 5}, {"below_pct": 90, "credit_pct": 10}],
    "cap_pct": 20,
    "min_tickets": 5,
}


@pytest.mark.parametrize(
    "credits, rows, pct, capped",
    [
        (BANDS, [row("P2", "response", 96, 4)], 0.0, False),
        (BANDS, [row("P2", "response", 94, 6)], 5.0, False),
        (BANDS, [row("P2", "response", 89, 11)], 10.0, False),  # highest band it falls under
        (BANDS, [row("P2", "response", 95, 5)], 0.0, False),  # 95.0 is not below 95
        (BANDS, [row("P2", "response", 2, 2)], 0.0, False),  # 4 tickets < min 5: not measurable
        (
            BANDS,
            [row("P1", "response", 80, 20), row("P2", "resolution", 94, 6)],
            10.0,
            False,
        ),  # max
        (
            {**BANDS, "combine": "sum"},
            [row("P1", "response", 80, 20), row("P2", "resolution", 94, 6)],
            15.0,
            False,
        ),
        (
            {**BANDS, "combine": "sum", "cap_pct": 12},
            [row("P1", "response", 80, 20), row("P2", "resolution", 94, 6)],
            12.0,
            True,
        ),
        (
            {"kind": "per_point", "credit_pct_per_point": 2, "cap_pct": 20, "min_tickets": 1},
            [row("P2", "response", 925, 75, target=95)],
            4.0,
            False,
        ),  # 92.5%: 2 whole points
        (
            {"kind": "per_point", "credit_pct_per_point": 2, "cap_pct": 20, "min_tickets": 1},
            [row("P2", "response", 50, 50, target=95)],
            20.0,
            True,
        ),
        ({**BANDS, "metrics": ["resolution"]}, [row("P2", "response", 50, 50)], 0.0, False),
    ],
)
def test_monthly_credit(credits, rows, pct, capped):
    terms = parse_terms(terms_doc(credits=credits, monthly_fee=10000.0))[0]
    out = monthly_credits(report(rows), {terms.terms_id: terms})
    assert out.loc[0, "credit_pct"] == pct
    assert out.loc[0, "amount"] == pytest.approx(10000.0 * pct / 100)
    assert bool(out.loc[0, "capped"]) is capped
    assert out.loc[0, "reason"]


def test_status_column():
    terms = parse_terms(terms_doc(credits=BANDS))[0]
    rep = with_status(
        report(
            [
                row("P2", "response", 2, 2),
                row("P2", "resolution", 90, 10),
                row("P1", "response", 99, 1, target=99),
            ]
        ),
        {terms.terms_id: terms},
    )
    assert list(rep["status"]) == ["not measurable", "missed", "met"]
