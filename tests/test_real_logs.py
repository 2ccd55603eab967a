"""The three real logs in ../shared/data ingest as shipped, with reports that add up."""

from __future__ import annotations

import pytest
from helpers import FIXTURES, SHARED

from sla_engine.ingest import ingest
from sla_engine.store import Store
from sla_engine.terms import load_terms

CASES = [
    (
        "uci-incident-event-log/incident_event_log.csv.gz",
        "servicenow",
        "terms_uci.json",
        "UCI-SN",
        "America/Sao_Paulo",
        {},
        141_712,
        24_916,
    ),  # 2 of 24,918 incidents: response logged before opened_at
    (
        "bpic2013-volvo-incidents/bpi_challenge_2013_incidents_events.csv.gz",
        "eventlog",
        "terms_volvo.json",
        "VOLVO-IT",
        None,
        {"mapping": str(FIXTURES / "mapping_volvo.json")},
        65_533,
        7_554,
    ),
    (
        "helpdesk-italian-software-company/finale.csv.gz",
        "eventlog",
        "terms_helpdesk_it.json",
        "HELPDESK-IT",
        "Europe/Rome",
        {"mapping": str(FIXTURES / "mapping_helpdesk_it.json")},
        21_348,
        4_580,
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "path, profile, terms, contract, tz, options, rows, cases",
    CASES,
    ids=["uci-servicenow", "volvo-bpic2013", "italian-helpdesk"],
)
def test_real_log_ingests_and_adds_up(
    tmp_path, capsys, path, profile, terms, contract, tz, options, rows, cases
):
    f = SHARED / path
    if not f.exists():
        pytest.skip(f"{f} is not here: ../shared/data must sit beside the checkout")
    store = Store(tmp_path / "store")
    store.add_terms(load_terms(FIXTURES / terms))
    rep = ingest(store, f, profile, tz=tz, contract=contract, options=options)
    with capsys.disabled():
        print("\n" + rep.text())
    assert rep.input_rows == rows
    assert rep.adds_up
    assert rep.tickets_loaded == cases
    # no column misread wholesale (e.g. every change time unparsed): all but a handful load
    assert rep.loaded_rows > 0.999 * rows, rep.reasons
    q = store.quarantine()
    assert rep.quarantined_rows == q["row"].nunique()
    assert (q["reason"].str.len() > 0).all() and q["column"].notna().all()
