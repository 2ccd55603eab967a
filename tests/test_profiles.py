"""Each ticket-table profile reads its product's column names and marks response/resolution as
documented."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from helpers import FIXTURES, terms_doc, us

from sla_engine.errors import IngestError
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.run import ingest
from sla_engine.ledger.register import register_terms
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

DOC = terms_doc(
    contract_id="ACME",
    severity_map={
        "Urgent": "P1",
        "High": "P1",
        "Normal": "P2",
        "Medium": "P2",
        "Highest": "P1",
        "1 - Critical": "P1",
        "3 - Moderate": "P2",
    },
)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(DOC))
    return s


def base(store: Store) -> pd.DataFrame:
    con = duckdb.connect()
    store.attach(con)
    return con.execute("SELECT * FROM base ORDER BY ticket_id").df().set_index("ticket_id")


CASES = {
    "zendesk-json": (
        "zendesk",
        "t.json",
        json.dumps(
            {
                "tickets": [
                    {
                        "id": 101,
                        "created_at": "2025-03-04T15:00:00Z",
                        "priority": "urgent",
                        "status": "solved",
                        "metric_set": {
                            "solved_at": "2025-03-04T17:00:00Z",
                            "reply_time_in_minutes": {"calendar": 20},
                        },
                    }
                ]
            }
        ),
        "101",
        us("2025-03-04 10:20"),
        us("2025-03-04 12:00"),
        "P1",
    ),
    "zendesk-csv": (
        "zendesk",
        "t.csv",
        "Id,Created at,Priority,Status,Solved at,First reply time in minutes\n"
        "7,2025-03-04 10:00,Normal,Solved,2025-03-04 11:00,15\n",
        "7",
        None,
        us("2025-03-04 11:00"),
        "P2",
    ),
    "jsm": (
        "jsm",
        "t.csv",
        "Issue key,Created,Priority,Status,Resolved,Date of First Response\n"
        "SUP-1,04/Mar/25 10:00 AM,Highest,Done,04/Mar/25 1:30 PM,04/Mar/25 10:05 AM\n",
        "SUP-1",
        us("2025-03-04 10:05"),
        us("2025-03-04 13:30"),
        "P1",
    ),
    "servicenow-table": (
        "servicenow",
        "t.csv",
        "number,opened_at,priority,state,resolved_at,work_start\n"
        "INC1,14/3/2025 10:00:00,1 - Critical,Resolved,14/3/2025 12:00:00,14/3/2025 10:07:00\n",
        "INC1",
        us("2025-03-14 10:07"),
        us("2025-03-14 12:00"),
        "P1",
    ),
    "freshdesk-csv": (
        "freshdesk",
        "t.csv",
        "Ticket ID,Created time,Priority,Status,Resolved time,Initial response time\n"
        "55,2025-03-04 10:00:00,Medium,Resolved,2025-03-04 16:00:00,2025-03-04 10:30:00\n",
        "55",
        us("2025-03-04 10:30"),
        us("2025-03-04 16:00"),
        "P2",
    ),
    "freshdesk-api": (
        "freshdesk",
        "t.json",
        json.dumps(
            [
                {
                    "id": 56,
                    "created_at": "2025-03-04T15:00:00Z",
                    "priority": 4,
                    "status": 4,
                    "stats": {
                        "first_responded_at": "2025-03-04T15:01:00Z",
                        "resolved_at": "2025-03-04T16:00:00Z",
                    },
                }
            ]
        ),
        "56",
        us("2025-03-04 10:01"),
        us("2025-03-04 11:00"),
        "P1",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_profile_maps_columns(store, tmp_path, name):
    profile, fname, content, tid, first_response, resolved, severity = CASES[name]
    f = tmp_path / fname
    f.write_text(content)
    rep = ingest(store, f, profile, tz="America/New_York", contract="ACME")
    assert rep.loaded_rows == 1, store.quarantine().to_dict("records")
    row = base(store).loc[tid]
    if first_response is not None:
        assert row["first_response_us"] == first_response
    assert row["resolved_us"] == resolved
    assert row["severity"] == severity


def test_zendesk_reply_minutes_rebuild_first_response(store, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(CASES["zendesk-csv"][2])
    ingest(store, f, "zendesk", tz="America/New_York", contract="ACME")
    # 10:00 local + 15 min: the naive creation time is read in --tz before adding the minutes
    assert base(store).loc["7", "first_response_us"] == us("2025-03-04 10:15")


def test_eventlog_needs_its_columns_named(store, tmp_path):
    f = tmp_path / "log.csv"
    f.write_text("case,activity,ts,prio\nA,New,2025-03-04T10:00:00Z,P1\n")
    with pytest.raises(IngestError, match="'case' column"):
        ingest(store, f, "eventlog", contract="ACME")
    rep = ingest(
        store,
        f,
        "eventlog",
        contract="ACME",
        options=ReadOptions(
            case="case", status="activity", time="ts", severity="prio", response_status=("Working",)
        ),
    )
    assert rep.loaded_rows == 1


def test_unknown_profile(store, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a\n1\n")
    with pytest.raises(IngestError, match="unknown profile"):
        ingest(store, f, "remedy", contract="ACME")


def test_status_is_evidence_in_a_ticket_table(tmp_path):
    """Solved without a solve time is not open; deleted is left out; pending is paused."""
    from sla_engine.ingest.run import ingest
    from sla_engine.reports import analysis
    from sla_engine.rulebook.terms import load_terms
    from sla_engine.store.core import Store

    store = Store(tmp_path / "store")
    register_terms(store, load_terms(FIXTURES / "acme_terms.json"))
    csv = tmp_path / "zendesk-view.csv"
    csv.write_text(
        "Id,Organization,Priority,Status,Created at,Solved at,Updated at\n"
        "1,ACME-2025,P2,solved,2025-03-04T10:00:00-05:00,,2025-03-04T12:00:00-05:00\n"
        "2,ACME-2025,P2,deleted,2025-03-04T10:00:00-05:00,,2025-03-04T12:00:00-05:00\n"
        "3,ACME-2025,P2,pending,2025-03-04T10:00:00-05:00,,2025-03-04T11:00:00-05:00\n"
        "4,ACME-2025,P2,closed,2025-03-04T10:00:00-05:00,,\n"
        "5,ACME-2025,P2,open,2025-03-04T10:00:00-05:00,,2025-03-04T11:00:00-05:00\n"
    )
    rep = ingest(store, csv, "zendesk")
    text = rep.text()
    assert "1 resolutions inferred from the status (solved or closed) at Updated at" in text
    assert "1 tickets in a pause status, paused since Updated at" in text
    q = store.quarantine().set_index("row")["reason"]
    assert "deleted in the help desk" in q[2] and "cannot say when" in q[4]
    import duckdb

    from sla_engine.reports.analysis import evaluate_to_table, per_ticket_frame

    con = duckdb.connect()
    store.attach(con)
    evaluate_to_table(con, store.terms(), analysis.parse_as_of("2025-03-10T00:00:00Z"))
    r = per_ticket_frame(con).set_index("ticket_id")
    assert bool(r.loc["1", "res_done"]) and r.loc["1", "res_el"] / 60e6 == 120  # not open
    assert r.loc["3", "res_el"] / 60e6 == 60  # paused since 11:00, counted 10:00-11:00
    assert not bool(r.loc["5", "res_done"]) and r.loc["5", "res_el"] / 60e6 > 60
    assert set(r.index) == {"1", "3", "5"}


def test_a_servicenow_table_export_is_a_ticket_table_and_an_empty_contract_falls_back(tmp_path):
    """sys_mod_count alone does not make an audit log; an empty contract cell is no contract."""
    from sla_engine.ingest.run import ingest
    from sla_engine.rulebook.terms import load_terms
    from sla_engine.store.core import Store

    store = Store(tmp_path / "store")
    register_terms(store, load_terms(FIXTURES / "acme_terms.json"))
    table = tmp_path / "incident.csv"
    table.write_text(
        "number,company,priority,state,incident_state,sys_mod_count,opened_at,resolved_at,"
        "sys_updated_on\n"
        "INC1,,P1,Resolved,Resolved,7,2025-03-04T10:00:00Z,2025-03-04T12:00:00Z,"
        "2025-03-04T12:00:00Z\n"
        "INC2,,P2,Closed,Closed,4,2025-03-05T10:00:00Z,,2025-03-05T15:00:00Z\n"
    )
    rep = ingest(store, table, "servicenow", contract="ACME-2025")
    assert "2 loaded" in rep.text() and "0 quarantined" in rep.text(), rep.text()
    assert (
        "1 resolutions inferred from the status (solved or closed) at sys_updated_on" in rep.text()
    )


@pytest.mark.parametrize("reverse", [False, True])
def test_duplicate_audit_events_are_resolved_by_the_exports_order_not_the_files(tmp_path, reverse):
    from sla_engine.ingest.profiles.registry import read_profile

    rows = [
        "INC1,New,0,2025-03-04T10:00:00Z,2025-03-04T10:00:00Z,P1",
        "INC1,Active,1,2025-03-04T10:30:00Z,2025-03-04T10:00:00Z,P1",
        "INC1,Active,1,2025-03-04T10:20:00Z,2025-03-04T10:00:00Z,P1",
        "INC1,Resolved,2,2025-03-04T11:00:00Z,2025-03-04T10:00:00Z,P1",
    ]
    p = tmp_path / "log.csv"
    p.write_text(
        "number,incident_state,sys_mod_count,sys_updated_at,opened_at,priority\n"
        + "\n".join(reversed(rows) if reverse else rows)
        + "\n"
    )
    ex, _ = read_profile("servicenow", p, None, ReadOptions())
    t = ex.tickets.set_index("ticket_id")
    assert t.loc["INC1", "first_response_at"].startswith("2025-03-04T10:20")
    assert [r[2] for r in ex.rejected] == ["duplicate event (same number and sys_mod_count)"]
