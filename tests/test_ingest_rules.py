"""No silent misreads: day/month order, renamed columns, custom statuses, empty priorities, and the
per-ticket figures command."""

from __future__ import annotations

import pandas as pd
import pytest
from test_vendor_shapes import AS_OF, DOC, SHAPES

from sla_engine.cli import main
from sla_engine.errors import IngestError
from sla_engine.ingest.dateorder import AmbiguousDateOrder
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.routing import Routing
from sla_engine.ingest.run import ingest
from sla_engine.reports.analysis import parse_as_of
from sla_engine.reports.tickets import ticket_figures
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(DOC))
    return s


def write(tmp_path, name: str, text: str):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


SN_HEADER = "number,opened_at,priority,state,resolved_at\n"


@pytest.mark.parametrize(
    "rows, stated, created",
    [
        # a day over 12 shows the order, for the whole file
        (["A,14/03/2025 09:00,1,1,", "B,03/04/2025 09:00,1,1,"], None, "2025-04-03T09:00:00Z"),
        # a second number over 12 shows month-first
        (["A,03/14/2025 09:00,1,1,", "B,03/04/2025 09:00,1,1,"], None, "2025-03-04T09:00:00Z"),
        # nothing shows it: the user says
        (["B,03/04/2025 09:00,1,1,"], "day-first", "2025-04-03T09:00:00Z"),
        (["B,03/04/2025 09:00,1,1,"], "month-first", "2025-03-04T09:00:00Z"),
    ],
)
def test_numeric_dates_follow_the_order_the_values_or_the_user_show(
    store, tmp_path, rows, stated, created
):
    f = write(tmp_path, "sn.csv", SN_HEADER + "\n".join(rows) + "\n")
    options = ReadOptions(date_order=stated)
    ingest(store, f, "servicenow", tz="UTC", contract="SHAPES", options=options)
    got = ticket_figures(store, parse_as_of("2025-06-01T00:00:00+00:00")).set_index("ticket_id")
    assert got.loc["B", "created_at"] == created


def test_an_ambiguous_date_column_is_refused_with_its_name(store, tmp_path):
    f = write(tmp_path, "sn.csv", SN_HEADER + "B,03/04/2025 09:00,1,1,\n")
    with pytest.raises(AmbiguousDateOrder, match="column 'opened_at'.*03/04/2025"):
        ingest(store, f, "servicenow", tz="UTC", contract="SHAPES")
    assert store.current() is None


def test_a_column_mixing_both_orders_is_refused(store, tmp_path):
    f = write(tmp_path, "sn.csv", SN_HEADER + "A,14/03/2025 09:00,1,1,\nB,03/14/2025 09:00,1,1,\n")
    with pytest.raises(IngestError, match="mixes day-first and month-first"):
        ingest(store, f, "servicenow", tz="UTC", contract="SHAPES")


def test_a_renamed_first_response_column_is_read_through_the_mapping(store, tmp_path):
    f = write(
        tmp_path,
        "fd.csv",
        "Ticket ID,Created time,Priority,Status,Resolved time,Erste Antwort\n"
        "9,2025-03-24 09:00:00,High,Resolved,2025-03-24 10:00:00,2025-03-24 09:05:00\n",
    )
    ingest(
        store,
        f,
        "freshdesk",
        tz="UTC",
        contract="SHAPES",
        options=ReadOptions(columns={"first_response_at": "Erste Antwort"}),
    )
    got = ticket_figures(store, AS_OF).set_index("ticket_id")
    assert got.loc["9", "first_response_at"] == "2025-03-24T09:05:00Z"
    for columns, message in (
        ({"x": "y"}, "names 'x', which is not a field"),
        ({"resolved_at": "Gelöst"}, r"expected one of \['Gelöst'\]"),
    ):
        with pytest.raises(IngestError, match=message):
            ingest(
                store,
                f,
                "freshdesk",
                tz="UTC",
                contract="SHAPES",
                options=ReadOptions(columns=columns),
            )


def test_a_custom_status_pauses_only_if_the_contract_pauses_it(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(DOC | {"pause_statuses": ["pending", "6"]}))
    ingest(store, SHAPES / "freshdesk-api.json", "freshdesk", contract="SHAPES")
    got = ticket_figures(store, AS_OF).set_index("ticket_id")
    # 603 sits in custom status 6 since 10:20: paused from then, so its resolution is pending
    assert got.loc["603", "resolution_met"] == ""
    assert "in status 6 since stats.status_updated_at" in got.loc["603", "notes"]


def test_a_custom_status_named_as_solved_resolves(store):
    ingest(
        store,
        SHAPES / "freshdesk-api.json",
        "freshdesk",
        contract="SHAPES",
        options=ReadOptions(statuses={"solved": ["resolved", "closed", "6"]}),
    )
    got = ticket_figures(store, AS_OF).set_index("ticket_id")
    assert got.loc["603", "resolved_at"] == "2025-03-21T10:20:00Z"
    assert got.loc["603", "resolution_met"] == "true"


def test_an_empty_priority_is_its_own_reason_and_can_be_mapped(store, tmp_path):
    rep = ingest(store, SHAPES / "zendesk-api.json", "zendesk", contract="SHAPES")
    assert rep.reasons.get("no priority") == 1
    assert not store.quarantine()["reason"].str.contains("nan|None").any()
    route = Routing.of({}, {"SHAPES": {"(no priority)": "P2"}})
    again = ingest(store, SHAPES / "zendesk-api.json", "zendesk", contract="SHAPES", routing=route)
    assert "no priority" not in again.reasons
    assert "102" in set(ticket_figures(store, AS_OF)["ticket_id"])


def test_tickets_command_writes_every_ticket_with_derived_instants_and_notes(
    store, tmp_path, capsys
):
    ingest(store, SHAPES / "zendesk-api.json", "zendesk", contract="SHAPES")
    out = tmp_path / "t.csv"
    code = main(
        [
            "--store",
            str(store.root),
            "tickets",
            "--contract",
            "SHAPES",
            "--month",
            "2025-03",
            "--as-of",
            "2025-03-31T00:00:00+00:00",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    df = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("ticket_id")
    assert list(df.index) == ["101", "104", "105"]
    assert df.loc["104", "resolved_at"] == "2025-03-03T20:00:00Z"
    assert "resolution taken from status closed" in df.loc["104", "notes"]
    assert df.loc["105", "resolved_at"] == ""
    assert {"created_at", "first_response_at", "terms_version", "paused_minutes"} <= set(df.columns)
    assert main(["--store", str(store.root), "tickets", "--month", "2025-3"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_servicenow_task_sla_verdicts_are_compared_not_loaded(store, tmp_path):
    from sla_engine.reports.task_sla import compare_task_sla

    ingest(store, SHAPES / "servicenow-table-api.json", "servicenow", tz="UTC", contract="SHAPES")
    rows, counts = compare_task_sla(store, SHAPES / "servicenow-task-sla.csv", AS_OF, "SHAPES")
    assert counts == {
        "rows": 5,
        "compared": 2,
        "agree": 1,
        "disagree": 1,
        "not in the store": 1,
        "metric not named": 1,
        "pending in Covenant": 1,
    }
    # ServiceNow's instance says the P1 resolution breached; the signed terms say it was met
    # (180 of 240 minutes): the disagreement is listed for someone to check
    d = rows[rows["outcome"] == "disagree"].iloc[0]
    assert (d["ticket"], d["metric"], d["servicenow_breached"], d["covenant_breached"]) == (
        "INC0020001",
        "resolution",
        "true",
        "false",
    )
    assert len(ticket_figures(store, AS_OF)) == 2  # nothing of the task_sla file was loaded
