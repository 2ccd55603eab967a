"""Hand-computed cases: the issue's five, and the rules the README states, one row each."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import ALL_WEEK, minutes, run_engine, terms_doc, us

NY = "America/New_York"


@pytest.mark.parametrize(
    "case, calendar, created, resolved, pauses, expected",
    [
        ("same day", {}, "2025-03-04 10:00", "2025-03-04 15:30", [], 330),
        ("over a weekend", {}, "2025-02-28 18:30", "2025-03-03 09:20", [], 20),
        ("Independence Day", {}, "2025-07-02 16:30", "2025-07-07 09:30", [], 540),
        (
            "24x7 spring-forward night",
            {"week": ALL_WEEK},
            "2025-03-09 00:00",
            "2025-03-09 05:00",
            [],
            240,
        ),
        (
            "pause 10-14",
            {},
            "2025-03-03 09:00",
            "2025-03-03 15:00",
            [("2025-03-03 10:00", "2025-03-03 14:00")],
            120,
        ),
        (
            "24x7 fall-back night is 25h",
            {"week": ALL_WEEK},
            "2025-11-02 00:00",
            "2025-11-03 00:00",
            [],
            1500,
        ),
        (
            "observed holiday: Sat 2026-07-04 observed Fri 07-03",
            {},
            "2026-07-02 16:00",
            "2026-07-06 10:00",
            [],
            120,
        ),
        (
            "observed holidays off: Fri 2026-07-03 is a working day",
            {"holidays": {"country": "US", "subdivision": None, "observed": False}},
            "2026-07-02 16:00",
            "2026-07-06 10:00",
            [],
            600,
        ),
        (
            "extra holiday",
            {"extra_holidays": ["2025-03-05"]},
            "2025-03-04 16:00",
            "2025-03-06 10:00",
            [],
            120,
        ),
        (
            "split Friday 08:30-12:00, 13:00-17:00",
            {"week": {"fri": [["08:30", "12:00"], ["13:00", "17:00"]]}},
            "2025-03-07 08:00",
            "2025-03-07 14:00",
            [],
            270,
        ),
        (
            "24:00 end",
            {"week": {"tue": [["20:00", "24:00"]], "wed": [["00:00", "02:00"]]}},
            "2025-03-04 21:00",
            "2025-03-05 01:30",
            [],
            270,
        ),
        ("created and resolved outside hours", {}, "2025-03-04 18:00", "2025-03-04 23:00", [], 0),
        (
            "pause across a night is subtracted as an interval",
            {},
            "2025-03-04 16:00",
            "2025-03-05 11:00",
            [("2025-03-04 16:30", "2025-03-05 09:30")],
            120,
        ),
        (
            "two pauses",
            {},
            "2025-03-04 09:00",
            "2025-03-04 17:00",
            [("2025-03-04 10:00", "2025-03-04 11:00"), ("2025-03-04 15:00", "2025-03-04 16:00")],
            360,
        ),
    ],
)
def test_business_minutes(case, calendar, created, resolved, pauses, expected):
    doc = terms_doc(calendar=calendar)
    events = []
    for a, b in pauses:
        events += [
            {"ticket_id": "T", "changed_us": us(a), "field": "status", "value": "pending"},
            {"ticket_id": "T", "changed_us": us(b), "field": "status", "value": "open"},
        ]
    if pauses:
        events.append(
            {"ticket_id": "T", "changed_us": us(resolved), "field": "status", "value": "solved"}
        )
    r = run_engine(
        doc,
        [
            {
                "ticket_id": "T",
                "severity": "P2",
                "created_us": us(created),
                "first_response_us": us(resolved),
                "resolved_us": us(resolved),
            }
        ],
        events,
    )
    assert minutes(r.loc["T", "res_el"]) == pytest.approx(expected), case


def test_calendar_clock_ignores_hours_and_holidays_but_not_pauses():
    """P1 is on the calendar clock: real elapsed time minus pauses."""
    events = [
        {
            "ticket_id": "T",
            "changed_us": us("2025-07-04 01:00"),
            "field": "status",
            "value": "on-hold",
        },
        {
            "ticket_id": "T",
            "changed_us": us("2025-07-04 02:00"),
            "field": "status",
            "value": "open",
        },
        {
            "ticket_id": "T",
            "changed_us": us("2025-07-04 03:00"),
            "field": "status",
            "value": "closed",
        },
    ]
    r = run_engine(
        terms_doc(),
        [
            {
                "ticket_id": "T",
                "severity": "P1",
                "created_us": us("2025-07-04 00:00"),
                "first_response_us": us("2025-07-04 00:10"),
            }
        ],
        events,
    )
    assert minutes(r.loc["T", "resp_el"]) == 10
    assert minutes(r.loc["T", "res_el"]) == 120
    assert minutes(r.loc["T", "paused"]) == 60


def test_reopen_time_spent_resolved_does_not_count():
    events = [
        {"ticket_id": "T", "changed_us": us(t), "field": "status", "value": v}
        for t, v in [
            ("2025-03-04 09:00", "new"),
            ("2025-03-04 10:00", "solved"),
            ("2025-03-04 12:00", "open"),
            ("2025-03-04 13:00", "solved"),
            ("2025-03-04 14:00", "closed"),
        ]
    ]
    r = run_engine(
        terms_doc(),
        [
            {
                "ticket_id": "T",
                "severity": "P2",
                "created_us": us("2025-03-04 09:00"),
                "first_response_us": us("2025-03-04 09:30"),
            }
        ],
        events,
    )
    # 09:00-13:00 is 240 min, of which 10:00-12:00 was spent resolved before the reopen
    assert minutes(r.loc["T", "res_el"]) == 120
    assert r.loc["T", "res_met"]


@pytest.mark.parametrize("met_when_equal, expected", [(True, True), (False, False)])
def test_met_when_equal(met_when_equal, expected):
    r = run_engine(
        terms_doc(met_when_equal=met_when_equal),
        [
            {
                "ticket_id": "T",
                "severity": "P2",
                "created_us": us("2025-03-04 09:00"),
                "first_response_us": us("2025-03-04 11:00"),
                "resolved_us": us("2025-03-05 09:00"),
            }
        ],
    )
    assert minutes(r.loc["T", "resp_el"]) == 120
    assert bool(r.loc["T", "resp_met"]) is expected


@pytest.mark.parametrize(
    "as_of, expected_met",
    [("2025-03-04 09:29", None), ("2025-03-04 09:30", None), ("2025-03-04 09:31", False)],
)
def test_open_ticket_pending_until_target_passes(as_of, expected_met):
    r = run_engine(
        terms_doc(),
        [{"ticket_id": "T", "severity": "P1", "created_us": us("2025-03-04 09:00")}],
        as_of_us=us(as_of),
    )
    got = r.loc["T", "resp_met"]
    assert (None if pd.isna(got) else bool(got)) is expected_met


def test_facts_after_as_of_are_not_known():
    r = run_engine(
        terms_doc(),
        [
            {
                "ticket_id": "T",
                "severity": "P2",
                "created_us": us("2025-03-04 09:00"),
                "first_response_us": us("2025-03-04 09:10"),
                "resolved_us": us("2025-03-06 09:00"),
            }
        ],
        as_of_us=us("2025-03-04 12:00"),
    )
    assert bool(r.loc["T", "resp_met"]) is True
    assert minutes(r.loc["T", "res_el"]) == 180
    assert not r.loc["T", "res_done"]


SEV_EVENTS = [
    {"ticket_id": "T", "changed_us": us("2025-03-04 09:00"), "field": "severity", "value": "P2"},
    {"ticket_id": "T", "changed_us": us("2025-03-04 11:00"), "field": "severity", "value": "P1"},
]


@pytest.mark.parametrize(
    "mode, resp_sev, resp_min, res_sev, res_min",
    [
        # response happened at 10:00 under P2 (business clock from creation); resolution under P1
        # from 11:00
        ("from_change", "P2", 60, "P1", 60),
        # final severity P1 from creation (calendar clock)
        ("retroactive", "P1", 60, "P1", 180),
    ],
)
def test_severity_change(mode, resp_sev, resp_min, res_sev, res_min):
    r = run_engine(
        terms_doc(severity_change=mode),
        [
            {
                "ticket_id": "T",
                "severity": "P1",
                "created_us": us("2025-03-04 09:00"),
                "first_response_us": us("2025-03-04 10:00"),
                "resolved_us": us("2025-03-04 12:00"),
            }
        ],
        SEV_EVENTS,
    )
    assert r.loc["T", "resp_sev"] == resp_sev
    assert r.loc["T", "severity"] == res_sev
    assert minutes(r.loc["T", "resp_el"]) == resp_min
    assert minutes(r.loc["T", "res_el"]) == res_min


def test_terms_version_in_force_at_creation_judges_the_ticket():
    v1 = terms_doc(effective_from="2025-01-01", effective_to="2025-06-30")
    v2 = terms_doc(effective_from="2025-07-01")
    v2["tiers"]["P2"]["response_minutes"] = 30
    tickets = [
        {
            "ticket_id": "old",
            "severity": "P2",
            "created_us": us("2025-06-30 16:00"),
            "first_response_us": us("2025-07-01 10:00"),
        },
        {
            "ticket_id": "new",
            "severity": "P2",
            "created_us": us("2025-07-01 09:00"),
            "first_response_us": us("2025-07-01 10:00"),
        },
    ]
    r = run_engine([v1, v2], tickets)
    assert (
        r.loc["old", "terms_id"] == "C@2025-01-01" and minutes(r.loc["old", "resp_target"]) == 120
    )
    assert r.loc["new", "terms_id"] == "C@2025-07-01" and minutes(r.loc["new", "resp_target"]) == 30
    assert bool(r.loc["old", "resp_met"]) and not bool(r.loc["new", "resp_met"])


def test_month_is_local_month_of_creation():
    r = run_engine(
        terms_doc(),
        [
            {
                "ticket_id": "T",
                "severity": "P2",
                "created_us": us("2025-03-31 22:30"),
                "resolved_us": us("2025-04-01 10:00"),
            }
        ],
    )
    assert str(r.loc["T", "month"])[:7] == "2025-03"  # 02:30 UTC on April 1st


def test_resolved_without_reply_counts_response_at_resolution():
    r = run_engine(
        terms_doc(),
        [
            {
                "ticket_id": "T",
                "severity": "P2",
                "created_us": us("2025-03-04 09:00"),
                "resolved_us": us("2025-03-04 10:00"),
            }
        ],
    )
    assert minutes(r.loc["T", "resp_el"]) == 60 and bool(r.loc["T", "resp_met"])


def test_a_later_severity_row_is_a_change_at_its_instant_not_from_creation():
    """Generic format: the severity column is the severity at creation; a history row after
    creation changes it from then on (it used to replace it from creation)."""
    r = run_engine(
        terms_doc(severity_change="from_change"),
        [
            {
                "ticket_id": "T",
                "severity": "P2",
                "created_us": us("2025-03-04 09:00"),
                "first_response_us": us("2025-03-04 10:00"),
                "resolved_us": us("2025-03-04 12:00"),
            }
        ],
        [SEV_EVENTS[1]],  # only the change to P1 at 11:00
    )
    assert r.loc["T", "resp_sev"] == "P2" and minutes(r.loc["T", "resp_el"]) == 60
    assert r.loc["T", "severity"] == "P1" and minutes(r.loc["T", "res_el"]) == 60
    assert bool(r.loc["T", "resp_met"]) and bool(r.loc["T", "res_met"])
