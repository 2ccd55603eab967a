"""Epoch seconds and milliseconds (API exports) are read as UTC instants, round-tripping exactly;
an 8-digit date such as 20250304 is never taken for one."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sla_engine.ingest.timeparse import parse_instants

FROM_S, TO_S = 631152000, 4102444799  # 1990-01-01 .. 2099-12-31


@given(st.integers(FROM_S, TO_S))
def test_epoch_seconds_round_trip(seconds):
    us, blank, bad = parse_instants(pd.Series([str(seconds)]), None)
    assert not bad[0] and not blank[0] and us[0] == seconds * 1_000_000


@given(st.integers(FROM_S * 1000, TO_S * 1000))
def test_epoch_milliseconds_round_trip(ms):
    us, _, bad = parse_instants(pd.Series([str(ms)]), None)
    assert not bad[0] and us[0] == ms * 1_000


def test_numbers_that_are_not_plausible_instants_are_not_read_as_epochs():
    us, _, bad = parse_instants(pd.Series(["20250304", "12", "99999999999"]), None)
    assert bad.tolist() == [True, True, True] and us.isna().all()
