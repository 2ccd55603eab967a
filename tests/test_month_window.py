"""The drill-down evaluates only the tickets created near the month it shows: the window must hold
every ticket whose local creation month is that month, in the farthest zones on either side."""

from __future__ import annotations

import pandas as pd
import pytest

from sla_engine.reports.analysis import month_window_us


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("month", ["2024-02", "2025-12", "2026-03"])
def test_every_local_instant_of_the_month_is_inside_its_window(zone, month):
    lo, hi = month_window_us(month)
    first = pd.Timestamp(f"{month}-01", tz=zone)
    last = first + pd.offsets.MonthBegin(1) - pd.Timedelta(microseconds=1)
    for local in (first, last):
        assert lo <= local.value // 1000 <= hi, (zone, local)
    # and the window is a month and two days, not the whole store
    assert hi - lo <= 33 * 86_400_000_000
