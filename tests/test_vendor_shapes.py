"""Every vendor shape ingests as shipped, and each ticket's figures are the hand-checked ones.

The fixtures in tests/fixtures/shapes/ follow the vendors' documented field names, types, value
encodings and date formats (one small file per shape). The contract runs both tiers on a 24x7
clock in UTC, so every figure below can be checked by hand from the file:
P1 response 60 / resolution 240 minutes, P2 response 240 / resolution 1440 minutes; pauses in
pending, hold, on hold and waiting for customer; judged as of 2025-03-31T00:00Z.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import FIXTURES, terms_doc

from sla_engine.ingest.run import ingest
from sla_engine.reports.analysis import parse_as_of
from sla_engine.reports.tickets import ticket_figures
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

SHAPES = FIXTURES / "shapes"
AS_OF = parse_as_of("2025-03-31T00:00:00+00:00")
CLOCK = {"clock": "calendar", "target_pct": 90}
DOC = terms_doc(
    contract_id="SHAPES",
    calendar={"timezone": "UTC"},
    tiers={
        "P1": {"response_minutes": 60, "resolution_minutes": 240, **CLOCK},
        "P2": {"response_minutes": 240, "resolution_minutes": 1440, **CLOCK},
    },
    pause_statuses=["pending", "hold", "on hold", "waiting for customer"],
    resolved_statuses=["solved", "resolved", "closed", "done"],
    severity_map={
        "urgent": "P1",
        "high": "P1",
        "highest": "P1",
        "normal": "P2",
        "medium": "P2",
        "low": "P2",
        "1 - critical": "P1",
        "2 - high": "P1",
        "3 - moderate": "P2",
        "1": "P1",
        "3": "P2",
    },
)

# shape -> (profile, file, second file, zone for naive times, rows in, loaded, quarantined,
#           {ticket: (created, first response, resolved, paused min, response met, res. met)})
# "" = not known (open, or no response yet); met is "true", "false" or "" (pending)
T = "2025-03-"
CASES = {
    "zendesk REST tickets with metric_set": (
        "zendesk",
        "zendesk-api.json",
        None,
        None,
        5,
        3,
        2,  # 102 has no priority, 103 is deleted
        {
            "101": (T + "03T09:00:00Z", T + "03T09:30:00Z", T + "03T11:00:00Z", 0, "true", "true"),
            # closed without solved_at: resolved at its last update, as its notes say
            "104": (
                T + "03T12:00:00Z",
                T + "03T13:30:00Z",
                T + "03T20:00:00Z",
                0,
                "false",
                "false",
            ),
            # pending now, no history: paused since its status changed (03:00), still open
            "105": (T + "04T00:00:00Z", T + "04T01:00:00Z", "", 38700, "true", ""),
        },
    ),
    "zendesk incremental export with metric_sets sideload": (
        "zendesk",
        "zendesk-incremental.json",
        None,
        None,
        2,
        2,
        0,
        {
            "201": (T + "05T08:00:00Z", T + "05T13:00:00Z", T + "05T20:00:00Z", 0, "false", "true"),
            "202": (T + "05T09:00:00Z", T + "05T09:45:00Z", "", 0, "true", "false"),
        },
    ),
    "zendesk view CSV + ticket_metrics": (
        "zendesk",
        "zendesk-view.csv",
        "zendesk-ticket-metrics.json",
        "UTC",
        2,
        2,
        0,
        {
            "301": (T + "06T08:00:00Z", T + "06T08:20:00Z", T + "06T10:00:00Z", 0, "true", "true"),
            "302": (T + "06T09:00:00Z", "", "", 0, "false", "false"),
        },
    ),
    "zendesk tickets + ticket_metric_events": (
        "zendesk",
        "zendesk-tickets-401.json",
        "zendesk-metric-events.json",
        None,
        1,
        1,
        0,
        {
            # pending 09:00-11:00 (agent and requester clocks paused), solved 12:30
            "401": (
                T + "07T08:00:00Z",
                T + "07T08:40:00Z",
                T + "07T12:30:00Z",
                120,
                "true",
                "true",
            ),
        },
    ),
    "zendesk tickets + warehouse field history": (
        "zendesk",
        "zendesk-tickets-501.json",
        "zendesk-field-history.csv",
        None,
        1,
        1,
        0,
        {
            # normal (P2) at creation, high (P1) from 09:00; on hold 10:00-11:00; solved 13:00:
            # resolution judged as P1 from 09:00 = 240 - 60 paused = 180
            "501": (T + "08T08:00:00Z", T + "08T08:30:00Z", T + "08T13:00:00Z", 60, "true", "true"),
        },
    ),
    "servicenow list export (display values, month-first dates)": (
        "servicenow",
        "servicenow-list.csv",
        None,
        "UTC",
        3,
        3,
        0,
        {
            # no first-response column: fulfilled at resolution (stated in the report)
            "INC0010001": (
                T + "14T09:00:00Z",
                T + "14T11:00:00Z",
                T + "14T11:00:00Z",
                0,
                "false",
                "true",
            ),
            "INC0010002": (T + "14T10:00:00Z", "", "", 23700, "", ""),
            # resolved without resolved_at: at its last update, 16:00
            "INC0010003": (
                T + "14T11:00:00Z",
                T + "14T16:00:00Z",
                T + "14T16:00:00Z",
                0,
                "false",
                "false",
            ),
        },
    ),
    "servicenow Table API JSON (sys_mod_count, codes)": (
        "servicenow",
        "servicenow-table-api.json",
        None,
        "UTC",
        2,
        2,
        0,
        {
            "INC0020001": (
                T + "17T09:00:00Z",
                T + "17T09:20:00Z",
                T + "17T12:00:00Z",
                0,
                "true",
                "true",
            ),
            "INC0020002": (T + "17T10:00:00Z", "", "", 19500, "", ""),
        },
    ),
    "jira cloud CSV": (
        "jsm",
        "jira-cloud.csv",
        None,
        "UTC",
        2,
        2,
        0,
        {
            "SUP-1": (
                T + "18T09:00:00Z",
                T + "18T09:48:00Z",
                T + "18T12:30:00Z",
                0,
                "true",
                "true",
            ),
            "SUP-2": (T + "18T10:00:00Z", T + "18T10:30:00Z", "", 18060, "true", ""),
        },
    ),
    "jira server/data center CSV": (
        "jsm",
        "jira-server.csv",
        None,
        "UTC",
        2,
        2,
        0,
        {
            "OPS-7": (
                T + "19T16:55:00Z",
                T + "19T17:40:00Z",
                T + "20T08:10:00Z",
                0,
                "true",
                "false",
            ),
            "OPS-8": (
                T + "19T09:00:00Z",
                T + "19T10:15:00Z",
                T + "19T10:15:00Z",
                0,
                "true",
                "true",
            ),
        },
    ),
    "jira REST JSON with changelog and SLA field": (
        "jsm",
        "jira-rest.json",
        None,
        None,
        1,
        1,
        0,
        {
            # Medium (P2) at creation, High (P1) from 09:00Z; waiting 10:00-11:00Z; done 14:00Z:
            # P1 resolution from 09:00 = 300 - 60 = 240 (met when equal)
            "SUP-9": (
                T + "20T08:00:00Z",
                T + "20T08:25:00Z",
                T + "20T14:00:00Z",
                60,
                "true",
                "true",
            ),
        },
    ),
    "freshdesk API JSON with stats": (
        "freshdesk",
        "freshdesk-api.json",
        None,
        None,
        4,
        4,
        0,
        {
            "601": (T + "21T08:00:00Z", T + "21T08:30:00Z", T + "21T11:00:00Z", 0, "true", "true"),
            "602": (T + "21T09:00:00Z", T + "21T09:30:00Z", "", 13815, "true", ""),
            # custom status 6: its meaning is not in the export, so its clock runs (reported)
            "603": (T + "21T10:00:00Z", T + "21T10:10:00Z", "", 0, "true", "false"),
            # resolved (4) without resolved_at: at its status change, 14:00
            "604": (
                T + "21T10:00:00Z",
                T + "21T14:00:00Z",
                T + "21T14:00:00Z",
                0,
                "false",
                "true",
            ),
        },
    ),
    "freshdesk CSV export": (
        "freshdesk",
        "freshdesk.csv",
        None,
        "UTC",
        2,
        2,
        0,
        {
            "701": (T + "24T09:00:00Z", T + "24T09:50:00Z", T + "24T12:00:00Z", 0, "true", "true"),
            "702": (T + "24T10:00:00Z", T + "24T10:20:00Z", "", 9440, "true", ""),
        },
    ),
}


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(DOC))
    return s


def figures(store: Store) -> pd.DataFrame:
    return ticket_figures(store, AS_OF, "SHAPES").set_index("ticket_id")


@pytest.mark.parametrize("shape", list(CASES))
def test_shape_ingests_as_shipped_with_hand_checked_figures(store, shape):
    profile, file, second, tz, rows, loaded, quarantined, expected = CASES[shape]
    rep = ingest(
        store,
        SHAPES / file,
        profile,
        tz=tz,
        contract="SHAPES",
        history=SHAPES / second if second else None,
    )
    assert (rep.input_rows, rep.loaded_rows, rep.quarantined_rows) == (
        rows,
        loaded,
        quarantined,
    ), rep.text()
    got = figures(store)
    assert sorted(got.index) == sorted(expected), rep.text()
    for ticket, (created, first, resolved, paused, resp, res) in expected.items():
        row = got.loc[ticket]
        seen = (
            row["created_at"],
            row["first_response_at"],
            row["resolved_at"],
            round(float(row["paused_minutes"])),
            row["response_met"],
            row["resolution_met"],
        )
        assert seen == (created, first, resolved, paused, resp, res), (ticket, row["notes"])


@pytest.mark.parametrize("shape", list(CASES))
def test_a_file_read_once_for_the_ingest_page_reads_as_the_file_itself(store, shape, monkeypatch):
    """The Ingest page reads an upload once (ui/resources.raw_export) and hands it to the read plan
    and the dry run: what they find is what reading the file finds, and the table the page holds
    is left as read."""
    from sla_engine.ingest.profiles import registry
    from sla_engine.ingest.readers import read_raw
    from sla_engine.ingest.run import dry_run

    profile, file, second, tz, *_ = CASES[shape]
    history = SHAPES / second if second else None
    kw = {"tz": tz, "contract": "SHAPES", "history": history}
    ex_file, valid_file = dry_run(store, SHAPES / file, profile, **kw)
    raw = read_raw(SHAPES / file)
    raw_history = read_raw(history) if history else None
    held = raw.table.copy()

    def no_second_read(*a, **k):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(registry, "read_table", no_second_read)
    ex_raw, valid_raw = dry_run(
        store, SHAPES / file, profile, raw=raw, raw_history=raw_history, **kw
    )
    pd.testing.assert_frame_equal(ex_raw.tickets, ex_file.tickets)
    pd.testing.assert_frame_equal(ex_raw.events, ex_file.events)
    pd.testing.assert_frame_equal(valid_raw.tickets, valid_file.tickets)
    pd.testing.assert_frame_equal(valid_raw.quarantine, valid_file.quarantine)
    assert ex_raw.notes == ex_file.notes
    pd.testing.assert_frame_equal(raw.table, held)
