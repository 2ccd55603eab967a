"""Golden files for the engine's rulebook: the SQL it runs and what it decides for a fixture that
touches
every rule (plain and history paths, business and 24x7 clocks, a weekend, a holiday, a pause, a
reopen, a
severity change under 'from_change' and 'retroactive' terms, an open ticket past and before its
target).

A change to evaluate.sql or macros.sql, or to a verdict, fails here and shows up in review as a
diff of
tests/golden/. After checking the change is intended: UPDATE_GOLDEN=1 pytest
tests/test_rulebook_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import run_engine, terms_doc, us

from sla_engine.rulebook.terms import parse_terms
from sla_engine.sqlfiles import sql

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# (ticket, severity, created, first response, resolved, history as (local time, field, value))
TICKETS = [
    ("plain-met", "P2", "2025-07-01 10:00", "2025-07-01 11:00", "2025-07-01 15:00", []),
    (
        "plain-weekend",
        "P2",
        "2025-07-04 16:00",
        "2025-07-07 10:00",
        "2025-07-08 12:00",
        [],
    ),  # Jul 4 holiday
    ("plain-24x7", "P1", "2025-07-01 16:02", "2025-07-01 16:20", "2025-07-01 20:12", []),
    ("open-breached", "P2", "2025-07-01 09:00", None, None, []),
    (
        "pause",
        "P2",
        "2025-07-02 09:00",
        "2025-07-02 09:30",
        None,
        [
            ("2025-07-02 10:00", "status", "pending"),
            ("2025-07-03 10:00", "status", "open"),
            ("2025-07-03 12:00", "status", "solved"),
        ],
    ),
    (
        "reopen",
        "P2",
        "2025-07-07 09:00",
        "2025-07-07 09:10",
        None,
        [
            ("2025-07-07 11:00", "status", "solved"),
            ("2025-07-08 11:00", "status", "open"),
            ("2025-07-08 13:00", "status", "closed"),
        ],
    ),
    (
        "sev-change",
        "P2",
        "2025-07-09 09:00",
        None,
        None,
        [("2025-07-09 12:00", "severity", "P1"), ("2025-07-09 12:20", "status", "solved")],
    ),
]
AS_OF = "2025-07-10 12:00"


def fixture_tickets() -> tuple[list[dict], list[dict]]:
    tickets, events = [], []
    for tid, sev, created, fr, res, hist in TICKETS:
        tickets.append(
            {
                "ticket_id": tid,
                "severity": sev,
                "created_us": us(created),
                "first_response_us": us(fr) if fr else None,
                "resolved_us": us(res) if res else None,
            }
        )
        events += [
            {"ticket_id": tid, "changed_us": us(t), "field": f, "value": v} for t, f, v in hist
        ]
    return tickets, events


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} changed; review the diff, then UPDATE_GOLDEN=1 to accept it"


def test_the_sql_the_engine_runs_is_pinned():
    check_golden("engine.sql", sql("macros") + "\n-- evaluate.sql --\n" + sql("evaluate"))


@pytest.mark.parametrize("severity_change", ["from_change", "retroactive"])
def test_verdicts_for_every_rule_are_pinned(severity_change):
    terms = parse_terms(terms_doc(severity_change=severity_change))
    tickets, events = fixture_tickets()
    res = run_engine(terms, tickets, events, us(AS_OF))
    table = res[
        [
            "severity",
            "resp_sev",
            "resp_at",
            "resp_done",
            "resp_met",
            "res_at",
            "res_done",
            "res_met",
        ]
    ].copy()
    for col in ("resp_el", "res_el", "paused"):
        table[col.replace("_el", "") + "_minutes"] = res[col].astype(float) / 60e6
    check_golden(f"verdicts-{severity_change}.csv", table.sort_index().to_csv(float_format="%.4f"))
