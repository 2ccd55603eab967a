"""Tickets no terms version judges are stored, and the ingest report says how many and when,
in the same numbers the evaluation leaves out."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import terms_doc

from sla_engine.ingest.run import ingest
from sla_engine.reports.analysis import evaluate_to_table, parse_as_of
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store import gen_files
from sla_engine.store.core import Store

CREATED = [
    ("early", "P1", "2024-12-31T12:00:00Z"),  # before the first version (New York: Dec 31)
    ("v1", "P1", "2025-01-02T15:00:00Z"),
    ("v1b", "P2", "2025-06-30T20:00:00Z"),  # June 30 16:00 in New York: the last day of v1
    ("gap1", "P1", "2025-07-01T05:00:00Z"),  # July 1 01:00 in New York: between the versions
    ("gap2", "P2", "2025-07-20T12:00:00Z"),
    ("v2", "P1", "2025-08-01T15:00:00Z"),
    ("v2p2", "P2", "2025-08-02T15:00:00Z"),  # v2 has no P2 tier
]


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    v1 = terms_doc(contract_id="ACME", effective_from="2025-01-01", effective_to="2025-06-30")
    v2 = terms_doc(contract_id="ACME", effective_from="2025-08-01", version="v2")
    del v2["tiers"]["P2"]
    s.add_terms([*parse_terms(v1), *parse_terms(v2)])
    return s


def test_tickets_outside_every_terms_version_are_counted_in_the_report(store, tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        [
            {
                "ticket_id": t,
                "severity": sev,
                "created_at": c,
                "first_response_at": "",
                "resolved_at": "",
            }
            for t, sev, c in CREATED
        ]
    ).to_csv(path, index=False)
    rep = ingest(store, path, "generic", contract="ACME")
    assert rep.tickets_loaded == 7 and rep.quarantined_rows == 0  # stored, not refused
    notes = [n for n in rep.notes if "not measured" in n]
    assert notes == [
        "4 ACME tickets were created between 2024-12-31 and 2025-08-02 (UTC), when no SLA terms "
        "version of ACME was in force for their severity: they are stored but not measured in "
        "any report until terms covering those dates are added"
    ]
    assert "not measured" in rep.text()
    # the oracle: what the evaluation itself leaves out of every report
    con = gen_files.open_inputs(store.root / str(store.current()))
    assert evaluate_to_table(con, store.terms(), parse_as_of("2026-01-01T00:00:00Z")) == 4


def test_an_export_fully_covered_says_nothing(store, tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        [
            {
                "ticket_id": "v1",
                "severity": "P1",
                "created_at": "2025-01-02T15:00:00Z",
                "first_response_at": "",
                "resolved_at": "",
            }
        ]
    ).to_csv(path, index=False)
    rep = ingest(store, path, "generic", contract="ACME")
    assert rep.tickets_loaded == 1
    assert not [n for n in rep.notes if "not measured" in n]


def test_tickets_with_a_status_history_are_counted_alike(store, tmp_path):
    """The evaluation's history path needs a terms version in force too: a ticket with pauses
    created between the versions is not measured, one created under a version is."""
    tickets, history = tmp_path / "t.csv", tmp_path / "h.csv"
    pd.DataFrame(
        [
            ("in-v1", "P2", "2025-02-03T15:00:00Z", "", ""),
            ("in-gap", "P1", "2025-07-10T15:00:00Z", "", ""),
        ],
        columns=["ticket_id", "severity", "created_at", "first_response_at", "resolved_at"],
    ).to_csv(tickets, index=False)
    pd.DataFrame(
        [
            ("in-v1", "2025-02-03T16:00:00Z", "status", "pending"),
            ("in-v1", "2025-02-04T16:00:00Z", "status", "solved"),
            ("in-gap", "2025-07-10T16:00:00Z", "status", "pending"),
            ("in-gap", "2025-07-11T16:00:00Z", "status", "solved"),
        ],
        columns=["ticket_id", "changed_at", "field", "value"],
    ).to_csv(history, index=False)
    rep = ingest(store, tickets, "generic", contract="ACME", history=history)
    assert rep.tickets_loaded == 2
    assert [n for n in rep.notes if "not measured" in n] == [
        "1 ACME ticket was created on 2025-07-10 (UTC), when no SLA terms version of ACME was in "
        "force for its severity: it is stored but not measured in any report until terms "
        "covering those dates are added"
    ]
    con = gen_files.open_inputs(store.root / str(store.current()))
    assert con.execute("SELECT count(*) FROM tickets WHERE has_history").fetchall() == [(2,)]
    assert evaluate_to_table(con, store.terms(), parse_as_of("2026-01-01T00:00:00Z")) == 1


def test_a_ticket_whose_severity_changed_counts_as_the_evaluation_judges_each_metric(
    store, tmp_path
):
    """Under 'from_change' terms each metric takes the severity in force when it completed: a
    ticket answered as P2 (which v2 has no tier for) is not measured even if it ended P1, and one
    resolved as P1 is measured even if it was lowered to P2 afterwards. The count is the
    evaluation's own, not the last severity's (which would say 2 here, not 3)."""
    tickets, history = tmp_path / "t.csv", tmp_path / "h.csv"
    pd.DataFrame(
        [  # all under v2 (from 2025-08-01, P1 only)
            ("answered-as-p2", "P2", "2025-08-05T14:00Z", "2025-08-05T15:00Z", "2025-08-06T15:00Z"),
            (
                "answered-as-p2-b",
                "P2",
                "2025-08-12T14:00Z",
                "2025-08-12T15:00Z",
                "2025-08-13T15:00Z",
            ),
            ("raised-first", "P2", "2025-08-07T14:00Z", "2025-08-07T14:20Z", "2025-08-07T18:00Z"),
            ("lowered-after", "P1", "2025-08-08T14:00Z", "2025-08-08T14:10Z", "2025-08-08T16:00Z"),
            ("open-now-p2", "P1", "2025-08-20T14:00Z", "2025-08-20T14:10Z", ""),
        ],
        columns=["ticket_id", "severity", "created_at", "first_response_at", "resolved_at"],
    ).to_csv(tickets, index=False)
    pd.DataFrame(
        [
            ("answered-as-p2", "2025-08-05T16:00Z", "severity", "P1"),
            ("answered-as-p2-b", "2025-08-12T16:00Z", "severity", "P1"),
            ("raised-first", "2025-08-07T14:10Z", "severity", "P1"),
            ("lowered-after", "2025-08-09T10:00Z", "severity", "P2"),
            ("open-now-p2", "2025-08-21T10:00Z", "severity", "P2"),
        ],
        columns=["ticket_id", "changed_at", "field", "value"],
    ).to_csv(history, index=False)
    rep = ingest(store, tickets, "generic", contract="ACME", history=history)
    assert rep.tickets_loaded == 5 and rep.quarantined_rows == 0
    assert [n for n in rep.notes if "not measured" in n] == [
        "3 ACME tickets were created between 2025-08-05 and 2025-08-20 (UTC), when no SLA terms "
        "version of ACME was in force for their severity: they are stored but not measured in "
        "any report until terms covering those dates are added"
    ]
    con = gen_files.open_inputs(store.root / str(store.current()))
    assert con.execute("SELECT count(*) FROM severity_log").fetchone()[0] == 10  # all changed
    assert evaluate_to_table(con, store.terms(), parse_as_of("2026-01-01T00:00:00Z")) == 3
