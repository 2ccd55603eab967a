"""Time to breach is the inverse of business time: adding N business minutes and then measuring
with the engine's SQL gives N, across DST changes, holidays and split shifts."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import run_engine, terms_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla_engine.rulebook.business_time import add_business
from sla_engine.rulebook.terms import parse_terms

SPLIT = {d: [["08:00", "12:00"], ["13:30", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
SPLIT["sat"] = [["09:00", "12:00"]]
CALENDARS = {
    # zone, week, holidays: three zones with DST on different dates, one southern
    "berlin-split": ("Europe/Berlin", SPLIT, {"country": "DE", "subdivision": None}),
    "new-york": ("America/New_York", None, {"country": "US", "subdivision": None}),
    "sydney-split": ("Australia/Sydney", SPLIT, {"country": "AU", "subdivision": "NSW"}),
}
# around spring and autumn DST changes in both hemispheres, Christmas and Easter
START = datetime(2025, 3, 1, tzinfo=UTC).timestamp()
END = datetime(2026, 4, 30, tzinfo=UTC).timestamp()


def terms_for(name: str):
    zone, week, hol = CALENDARS[name]
    cal = {"timezone": zone, "holidays": hol | {"observed": True}}
    if week is not None:
        cal["week"] = week
    doc = terms_doc(
        contract_id="C",
        calendar=cal,
        tiers={
            "P1": {
                "response_minutes": 10,
                "resolution_minutes": 60,
                "clock": "business",
                "target_pct": 90,
            }
        },
    )
    return parse_terms(doc)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(CALENDARS)),
    start=st.integers(int(START), int(END)).map(lambda s: s * 1_000_000),
    minutes=st.integers(1, 6000),
)
def test_adding_business_minutes_then_measuring_gives_them_back(name, start, minutes):
    terms = terms_for(name)
    end = add_business(terms[0].calendar, True, start, minutes * 60_000_000)
    assert end is not None and end > start
    got = run_engine(
        terms,
        [{"ticket_id": "X", "severity": "P1", "created_us": start, "resolved_us": end}],
        as_of_us=end + 1,
    )
    assert got.loc["X", "res_el"] == minutes * 60_000_000


def test_a_24x7_clock_adds_plain_minutes():
    terms = terms_for("new-york")
    assert add_business(terms[0].calendar, False, 0, 90 * 60_000_000) == 90 * 60_000_000
