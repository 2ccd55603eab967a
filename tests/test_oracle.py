"""The engine against the minute-walking oracle on generated tickets (Hypothesis)."""

from __future__ import annotations

import pandas as pd
from helpers import ALL_WEEK, run_engine, terms_doc, us
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import MIN, judge

from sla_engine.rulebook.terms import parse_terms

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney"]
CALENDARS = [
    {"week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
    {
        "week": {
            d: [["08:30", "12:00"], ["13:00", "18:00"]]
            for d in ("mon", "tue", "wed", "thu", "fri", "sat")
        }
    },
    {"week": ALL_WEEK},
    {
        "week": {
            "sun": [["00:00", "03:30"]],
            "sat": [["22:00", "24:00"]],
            "mon": [["01:00", "04:00"]],
        }
    },
]
# starts near DST changes and holidays of the zones above, in 2025
ANCHORS = [
    us(s, "UTC")
    for s in (
        "2025-03-08 00:00",
        "2025-03-28 00:00",
        "2025-04-04 00:00",
        "2025-07-02 00:00",
        "2025-10-03 00:00",
        "2025-10-24 00:00",
        "2025-10-31 00:00",
        "2025-12-23 00:00",
    )
]
STATUSES = ["open", "pending", "on-hold", "solved", "closed", "in progress"]


@st.composite
def tickets(draw):
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        created = draw(st.sampled_from(ANCHORS)) + draw(st.integers(0, 3 * 24 * 60)) * MIN
        fr = draw(
            st.one_of(st.none(), st.integers(0, 36 * 60).map(lambda m, c=created: c + m * MIN))
        )
        res = draw(
            st.one_of(st.none(), st.integers(0, 72 * 60).map(lambda m, c=created: c + m * MIN))
        )
        changes = sorted(draw(st.lists(st.integers(0, 72 * 60), max_size=5)))
        events = [(created + m * MIN, draw(st.sampled_from(STATUSES))) for m in changes]
        out.append(
            {
                "ticket_id": f"T{i}",
                "severity": draw(st.sampled_from(["P1", "P2"])),
                "created_us": created,
                "first_response_us": fr,
                "resolved_us": res,
                "events": events,
            }
        )
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    cal=st.sampled_from(CALENDARS),
    batch=tickets(),
    met_when_equal=st.booleans(),
    as_of_extra=st.integers(0, 5 * 24 * 60),
)
def test_engine_matches_oracle(zone, cal, batch, met_when_equal, as_of_extra):
    doc = terms_doc(
        calendar={"timezone": zone, **cal, "holidays": {"country": "US", "observed": True}},
        effective_from="2024-06-01",
        met_when_equal=met_when_equal,
    )
    terms = parse_terms(doc)[0]
    as_of = min(t["created_us"] for t in batch) + as_of_extra * MIN
    events = [
        {"ticket_id": t["ticket_id"], "changed_us": c, "field": "status", "value": s}
        for t in batch
        for c, s in t["events"]
    ]
    rows = [{k: v for k, v in t.items() if k != "events"} for t in batch]
    got = run_engine([terms], rows, events, as_of_us=as_of)
    for t in batch:
        if t["created_us"] > as_of:
            assert t["ticket_id"] not in got.index
            continue
        want = judge(terms, t, t["events"], as_of)
        row = got.loc[t["ticket_id"]]
        for key, col in (("resp", "resp"), ("res", "res")):
            el, met = want[key]
            assert int(row[f"{col}_el"]) == el, (
                t["ticket_id"],
                key,
                row[f"{col}_el"] / MIN,
                el / MIN,
            )
            got_met = None if pd.isna(row[f"{col}_met"]) else bool(row[f"{col}_met"])
            assert got_met is met, (t["ticket_id"], key)
