"""The terms document: the issue's example, the published schema, and errors that name the field."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import FIXTURES, terms_doc

from sla_engine.errors import TermsError
from sla_engine.rulebook.terms import load_terms, parse_terms


def test_issue_example_is_accepted():
    t = load_terms(FIXTURES / "acme_terms.json")[0]
    assert t.terms_id == "ACME-2025@2025-01-01"
    assert t.calendar.week["fri"] == [("08:30", "12:00"), ("13:00", "17:00")]


def test_schema_command_prints_json_schema():
    out = subprocess.run(
        [sys.executable, "-m", "sla_engine", "schema"], capture_output=True, text=True, check=True
    )
    schema = json.loads(out.stdout)
    assert schema["title"] == "Covenant SLA terms"
    assert {"contract_id", "effective_from", "calendar", "tiers"} <= set(schema["required"])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"calendar": {"timezone": "Mars/Olympus"}}, "calendar.timezone"),
        (
            {"calendar": {"week": {"mon": [["09:00", "25:00"]]}}},
            "calendar.week: Value error, mon: time '25:00'",
        ),
        ({"calendar": {"week": {"mon": [["17:00", "09:00"]]}}}, "ends before it starts"),
        ({"calendar": {"week": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}}, "overlap"),
        (
            {"tiers": {"P1": {"response_minutes": -5, "resolution_minutes": 10, "target_pct": 90}}},
            "tiers.P1.response_minutes",
        ),
        ({"severity_map": {"Urgent": "P9"}}, "P9"),
        ({"effective_to": "2023-01-01"}, "effective_to"),
        ({"credits": {"kind": "bands", "bands": []}}, "credits.bands.bands"),
        ({"pause_statuses": ["closed"]}, "both pause and resolve"),
    ],
)
def test_invalid_terms_name_the_field(change, message):
    with pytest.raises(TermsError) as err:
        parse_terms(terms_doc(**change), "bad.json")
    assert "bad.json" in str(err.value) and message in str(err.value)


def test_overlapping_versions_refused():
    with pytest.raises(TermsError, match="overlaps"):
        parse_terms(
            [
                terms_doc(effective_from="2025-01-01", effective_to="2025-06-30"),
                terms_doc(effective_from="2025-06-01"),
            ]
        )
