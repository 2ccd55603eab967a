"""How a status in an export meets a status the terms name: case, spaces, hyphens and underscores
do not matter ("On-Hold" in the terms pauses a ticket ServiceNow exported as "on hold"), in the
engine, the timeline and the at-risk list alike (sla_engine/rulebook/terms.py: status_name,
spellings)."""

from __future__ import annotations

import pytest
from helpers import minutes, run_engine, terms_doc, us
from hypothesis import given
from hypothesis import strategies as st

from sla_engine.rulebook.terms import parse_terms, spellings, status_name

TICKET = {
    "ticket_id": "T1",
    "severity": "P1",
    "created_us": us("2025-07-01 09:00"),
    "first_response_us": us("2025-07-01 09:10"),
    "resolved_us": us("2025-07-01 14:00"),
}


@pytest.mark.parametrize("named", ["on hold", "On-Hold", "on_hold", "  ON   HOLD "])
@pytest.mark.parametrize("exported", ["on hold", "On-Hold", "on_hold", "ON HOLD"])
def test_a_status_pauses_however_the_terms_and_the_export_spell_it(named, exported):
    doc = terms_doc(pause_statuses=[named])
    events = [
        {
            "ticket_id": "T1",
            "changed_us": us("2025-07-01 10:00"),
            "field": "status",
            "value": exported,
        },
        {
            "ticket_id": "T1",
            "changed_us": us("2025-07-01 12:00"),
            "field": "status",
            "value": "open",
        },
    ]
    row = run_engine(doc, [TICKET], events).loc["T1"]
    # 5 hours from creation to resolution, 2 of them on hold: 180 minutes counted, met (240)
    assert minutes(row["res_el"]) == 180 and bool(row["res_met"])


def test_a_status_not_named_keeps_the_clock_running():
    events = [
        {
            "ticket_id": "T1",
            "changed_us": us("2025-07-01 10:00"),
            "field": "status",
            "value": "hold-ish",
        },
    ]
    row = run_engine(terms_doc(pause_statuses=["on hold"]), [TICKET], events).loc["T1"]
    assert minutes(row["res_el"]) == 300 and not bool(row["res_met"])


def test_terms_keep_one_name_per_status_and_refuse_one_that_pauses_and_resolves():
    (t,) = parse_terms(terms_doc(pause_statuses=["On-Hold", "on hold", "Pending"]))
    assert t.pause_statuses == ["on hold", "pending"]
    with pytest.raises(Exception, match="both pause and resolve"):
        parse_terms(terms_doc(pause_statuses=["Solved"], resolved_statuses=["solved"]))


@given(st.text(alphabet=st.sampled_from("aZ -_\t"), min_size=1, max_size=12))
def test_a_status_name_is_stable_and_every_spelling_reads_back_to_it(text):
    name = status_name(text)
    assert status_name(name) == name
    assert all(status_name(s) == name for s in spellings(text))
