"""The generic profile takes status evidence like the named ones: a status column, a closed time,
a last-update time and a pending-since time are read by name or through the column mapping; a
ticket closed with no resolution time is resolved at its close (said, counted), a pending one is
paused, a merged or deleted one is left out with the reason; a first-response column is optional.
Never a silent guess: each inference is in the report."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import terms_doc

from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.run import ingest
from sla_engine.reports import analysis
from sla_engine.reports.tickets import ticket_figures
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    return s


CSV = (
    "ticket_id,severity,created_at,resolved_at,status,closed_at\n"
    # closed, with no resolution time: resolved at its close (calendar clock: 90 minutes)
    "G1,P1,2025-03-04T10:00:00-05:00,,Closed,2025-03-04T11:30:00-05:00\n"
    # resolved normally
    "G2,P1,2025-03-04T10:00:00-05:00,2025-03-04T10:45:00-05:00,Resolved,\n"
    # merged into another: not measured
    "G3,P1,2025-03-04T10:00:00-05:00,,Merged,\n"
    # still open
    "G4,P1,2025-03-04T10:00:00-05:00,,Open,\n"
)


def test_a_closed_ticket_without_a_resolution_time_is_resolved_at_its_close(store, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(CSV)
    rep = ingest(store, f, "generic", contract="ACME")
    said = rep.text()
    assert "no first-response column" in said
    figures = ticket_figures(store, analysis.parse_as_of("2025-03-10T00:00:00Z"), "ACME")
    by = figures.set_index("ticket_id")
    assert pd.Timestamp(by.loc["G1", "resolved_at"]) == pd.Timestamp("2025-03-04T16:30:00Z")
    assert by.loc["G1", "notes"] and "clos" in str(by.loc["G1", "notes"]).lower()
    assert pd.Timestamp(by.loc["G2", "resolved_at"]) == pd.Timestamp("2025-03-04T15:45:00Z")
    assert "G3" not in by.index  # merged: left out, with the reason in the quarantine
    assert not by.loc["G4", "resolved_at"]  # open stays open
    q = store.quarantine()
    assert any("merged" in str(r).lower() for r in q["reason"])


def test_status_columns_can_be_named_through_the_mapping(store, tmp_path):
    f = tmp_path / "export.csv"
    f.write_text(CSV.replace("status,closed_at", "State,Closed on"))
    rep = ingest(
        store,
        f,
        "generic",
        contract="ACME",
        options=ReadOptions(columns={"status": "State", "closed_at": "Closed on"}),
    )
    assert rep.loaded_rows == 3  # G3 (merged) left out
