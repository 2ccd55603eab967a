"""A ticket's SLA timeline explains its verdict: the counted segments add up to the engine's
minutes, and weekends, holidays, pauses and severity changes are named where they happened."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import terms_doc, us

from sla_engine.ingest.run import ingest
from sla_engine.reports.analysis import parse_as_of
from sla_engine.reports.timeline import COUNTED, HOLIDAY, OUTSIDE, PAUSED, ticket_timeline
from sla_engine.reports.timeline_text import figures_in_words, local
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

BUSINESS = {"clock": "business", "target_pct": 90}
DOC = terms_doc(
    contract_id="TL",
    tiers={
        "P1": {"response_minutes": 60, "resolution_minutes": 240, **BUSINESS},
        "P2": {"response_minutes": 240, "resolution_minutes": 960, **BUSINESS},
    },
)
AS_OF = parse_as_of("2025-08-01T00:00:00+00:00")


@pytest.fixture
def store(tmp_path) -> Store:
    return timeline_store(tmp_path)


def timeline_store(tmp_path) -> Store:
    """T1: created Thu 2025-07-03 10:00 New York as P2, answered 10:30, raised to P1 at 14:00,
    pending Mon 10:00-11:00, resolved Mon 07-07 16:00. Fri 07-04 is Independence Day.
    T2: a P1 opened Mon 2025-07-28 09:00, still open."""
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(DOC))
    t = tmp_path / "t.csv"
    t.write_text(
        "ticket_id,severity,created_at,first_response_at,resolved_at\n"
        "T1,P2,2025-07-03T10:00:00-04:00,2025-07-03T10:30:00-04:00,2025-07-07T16:00:00-04:00\n"
        "T2,P1,2025-07-28T09:00:00-04:00,,\n"
    )
    h = tmp_path / "h.csv"
    h.write_text(
        "ticket_id,changed_at,field,value\n"
        "T1,2025-07-03T14:00:00-04:00,severity,P1\n"
        "T1,2025-07-07T10:00:00-04:00,status,pending\n"
        "T1,2025-07-07T11:00:00-04:00,status,open\n"
    )
    ingest(s, t, "generic", contract="TL", history=h)
    return s


def test_timeline_names_weekend_holiday_pause_and_severity_change(store):
    tl = ticket_timeline(store, "TL", "T1", AS_OF)
    res = next(m for m in tl.metrics if m.name == "resolution")
    counted = [s for s in tl.segments if s.metric == "resolution" and s.kind == COUNTED]
    # P1 from the change at Thu 14:00: Thu 14-17 (180) + Mon 9-10 (60) + Mon 11-16 (300)
    assert res.counted_min == 540.0 and sum(s.minutes for s in counted) == pytest.approx(540.0)
    assert res.severity == "P1" and res.clock == "business hours" and res.met is False
    assert res.start_us == us("2025-07-03 14:00")
    # the 240-minute target was reached Mon 10:00 (180 on Thursday + 60 on Monday morning)
    assert res.target_at_us == us("2025-07-07 10:00")
    kinds = {(s.kind, s.label) for s in tl.segments if s.metric == "resolution"}
    assert (HOLIDAY, "holiday: Independence Day") in kinds
    assert (PAUSED, "paused: pending") in kinds
    assert any(k == OUTSIDE for k, _ in kinds)  # nights and the weekend
    pause = next(s for s in tl.segments if s.kind == PAUSED and s.metric == "resolution")
    assert (pause.start_us, pause.end_us) == (us("2025-07-07 10:00"), us("2025-07-07 11:00"))
    assert res.paused_min == 60.0
    assert ("2025-07-04", "Independence Day") in tl.holidays
    labels = [(m.kind, m.at_us) for m in tl.markers]
    assert ("severity change", us("2025-07-03 14:00")) in labels
    resp = next(m for m in tl.metrics if m.name == "response")
    assert (resp.severity, resp.counted_min, resp.met) == ("P2", 30.0, True)
    words = " ".join(figures_in_words(tl))
    assert "540.0 minutes counted against a target of 240" in words
    assert "2025-07-07 10:00 -04:00" in words  # every instant in the contract's zone, with offset
    assert "holidays crossed: 2025-07-04 Independence Day" in words


def test_an_open_ticket_shows_when_it_will_breach(store):
    as_of = parse_as_of("2025-07-28T15:00:00+00:00")  # Mon 11:00 New York
    tl = ticket_timeline(store, "TL", "T2", as_of)
    res = next(m for m in tl.metrics if m.name == "resolution")
    # 120 of 240 business minutes used by Mon 11:00: the rest runs out Mon 13:00
    assert res.counted_min == 120.0 and res.met is None
    assert res.target_at_us == us("2025-07-28 13:00")
    assert local(tl, res.target_at_us) == "2025-07-28 13:00 -04:00"


def test_counted_segments_equal_the_engine_for_every_demo_ticket(tmp_path):
    """On the demo world (business and 24x7 tiers, pauses, reopens), the segments add up."""
    from sla_engine.demo import build_demo
    from sla_engine.reports.tickets import ticket_figures

    build_demo(tmp_path / "demo")
    s = Store(tmp_path / "demo")
    as_of = parse_as_of("2026-10-15T00:00:00+00:00")
    figs = ticket_figures(s, as_of)
    paused = figs[figs["paused_minutes"].astype(float) > 0]
    sample = pd.concat([paused.head(15), figs.sample(15, random_state=7)])
    sample = pd.concat([sample, figs[figs["resolved_at"] == ""].head(5)])
    for row in sample.itertuples(index=False):
        tl = ticket_timeline(s, row.contract_id, row.ticket_id, as_of)
        for m in tl.metrics:
            segs = [x for x in tl.segments if x.metric == m.name and x.kind == COUNTED]
            assert sum(x.minutes for x in segs) == pytest.approx(m.counted_min, abs=1e-6), (
                row.ticket_id,
                m.name,
                pd.DataFrame([x.__dict__ for x in tl.segments]),
            )
