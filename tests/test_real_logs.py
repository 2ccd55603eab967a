"""The three real logs in ../shared/data ingest as shipped, with reports that add up."""

from __future__ import annotations

import pytest
from helpers import FIXTURES, SHARED

from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import load_terms
from sla_engine.store.core import Store

CASES = [
    (
        "uci-incident-event-log/incident_event_log.csv.gz",
        "servicenow",
        "terms_uci.json",
        "UCI-SN",
        "America/Sao_Paulo",
        ReadOptions(),
        141_712,
        24_916,
    ),  # 2 of 24,918 incidents: response logged before opened_at
    (
        "bpic2013-volvo-incidents/bpi_challenge_2013_incidents_events.csv.gz",
        "eventlog",
        "terms_volvo.json",
        "VOLVO-IT",
        None,
        ReadOptions(mapping_file=str(FIXTURES / "mapping_volvo.json")),
        65_533,
        7_554,
    ),
    (
        "helpdesk-italian-software-company/finale.csv.gz",
        "eventlog",
        "terms_helpdesk_it.json",
        "HELPDESK-IT",
        "Europe/Rome",
        ReadOptions(mapping_file=str(FIXTURES / "mapping_helpdesk_it.json")),
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


BPIC14 = (
    SHARED
    / "bpic2014-rabobank-incidents-eventdatar-subset"
    / "BPIC14_incident_case_attributes.csv.gz"
)
BPIC14_COLUMNS = {
    "ticket_id": "incident_id",
    "severity": "priority",
    "created_at": "open_time",
    "resolved_at": "resolved_time",
}


def _bpic14_store(tmp_path):
    from helpers import terms_doc

    from sla_engine.rulebook.terms import parse_terms

    clock = {"clock": "calendar", "target_pct": 90}
    store = Store(tmp_path / "store")
    store.add_terms(
        parse_terms(
            terms_doc(
                contract_id="RABO",
                effective_from="2012-01-01",
                calendar={"timezone": "Europe/Amsterdam"},
                tiers={
                    "P2": {"response_minutes": 240, "resolution_minutes": 1440, **clock},
                    "P3": {"response_minutes": 480, "resolution_minutes": 2880, **clock},
                    "P4": {"response_minutes": 960, "resolution_minutes": 7200, **clock},
                },
                severity_map={"2": "P2", "3": "P3", "4": "P4", "5": "P4"},
            )
        )
    )
    return store


@pytest.mark.skipif(not BPIC14.exists(), reason="../shared/data must sit beside the checkout")
def test_bpic14_closed_incidents_without_a_resolution_are_resolved_at_their_close(tmp_path):
    """All 4,000 incidents of the real BPIC 2014 subset are Closed; 155 have no resolved_time.
    Mapped with their status and close time, none is left open; each inferred resolution is
    counted and written on its ticket."""
    from sla_engine.reports.analysis import parse_as_of
    from sla_engine.reports.tickets import ticket_figures

    store = _bpic14_store(tmp_path)
    columns = BPIC14_COLUMNS | {"status": "status", "closed_at": "close_time"}
    rep = ingest(
        store,
        BPIC14,
        "generic",
        tz="Europe/Amsterdam",
        contract="RABO",
        options=ReadOptions(columns=columns),
    )
    assert rep.loaded_rows == 4_000, rep.text()
    assert "155 resolutions inferred from the status (solved or closed) at close_time" in rep.text()
    figures = ticket_figures(store, parse_as_of("2014-06-01T00:00:00+00:00"), "RABO")
    assert (figures["resolved_at"] == "").sum() == 0
    inferred = figures[figures["notes"].str.contains("resolution taken from status", na=False)]
    assert len(inferred) == 155


@pytest.mark.skipif(not BPIC14.exists(), reason="../shared/data must sit beside the checkout")
def test_bpic14_without_status_says_how_many_are_treated_as_open(tmp_path):
    """The same incidents exported with no status and no close time: nothing can tell the 155
    from open tickets, so they are counted as open, and the report says so with the count."""
    import pandas as pd

    bare = tmp_path / "bpic14-no-status.csv"
    pd.read_csv(BPIC14, dtype=str).drop(columns=["status", "close_time"]).to_csv(bare, index=False)
    store = _bpic14_store(tmp_path)
    rep = ingest(
        store,
        bare,
        "generic",
        tz="Europe/Amsterdam",
        contract="RABO",
        options=ReadOptions(columns=BPIC14_COLUMNS),
    )
    assert rep.loaded_rows == 4_000, rep.text()
    note = next(n for n in rep.notes if n.startswith("no status or close-time column"))
    assert "155 tickets have no resolution and are treated as open" in note
