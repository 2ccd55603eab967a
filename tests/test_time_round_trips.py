"""Hypothesis round trips of the time formats exports use: an instant written with any UTC offset
(ISO 8601 `+05:30`, Salesforce's `+0000`, `Z`) and a local time in a zone with DST read back as
the same instant; the fall-back hour's repeated local times take their first occurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from sla_engine.ingest.timeparse import parse_instants

SECONDS = st.integers(631152000, 4102444799)  # 1990-01-01 .. 2099-12-31
OFFSETS = st.integers(-12 * 4, 14 * 4).map(lambda q: q * 15)  # minutes, in quarter hours
ZONES = st.sampled_from(
    ["America/New_York", "Europe/Amsterdam", "Australia/Sydney", "Asia/Kolkata"]
)


def _us(t: datetime) -> int:
    return int(t.timestamp()) * 1_000_000


@given(SECONDS, OFFSETS, st.sampled_from(["colon", "compact", "millis"]))
def test_an_instant_written_with_any_offset_reads_back(seconds, offset, style):
    t = datetime.fromtimestamp(seconds, UTC)
    local = t + timedelta(minutes=offset)
    sign = "-" if offset < 0 else "+"
    hh, mm = divmod(abs(offset), 60)
    zone = f"{sign}{hh:02d}:{mm:02d}" if style == "colon" else f"{sign}{hh:02d}{mm:02d}"
    fraction = ".000" if style == "millis" else ""
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + fraction + ("Z" if offset == 0 else zone)
    us, _, bad = parse_instants(pd.Series([text]), None)
    assert not bad[0], text
    assert us[0] == seconds * 1_000_000, text


@given(SECONDS, ZONES)
# New York's repeated 01:30 on 2025-11-02: first (EDT, 05:30Z) and second (EST, 06:30Z)
@example(1762061400, "America/New_York")
@example(1762065000, "America/New_York")
# Amsterdam's repeated 02:30 on 2025-10-26 (00:30Z and 01:30Z)
@example(1761438600, "Europe/Amsterdam")
@example(1761442200, "Europe/Amsterdam")
def test_a_local_time_in_a_dst_zone_reads_back_or_takes_the_first_of_a_repeated_hour(seconds, zone):
    t = datetime.fromtimestamp(seconds, UTC)
    local = t.astimezone(ZoneInfo(zone))
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    us, _, bad = parse_instants(pd.Series([text]), zone)
    assert not bad[0], text
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=ZoneInfo(zone), fold=0)  # the first occurrence of that wall time
    assert us[0] == _us(first), (text, zone)
    assert us[0] == seconds * 1_000_000 or local.fold == 1


def test_a_time_in_the_spring_forward_gap_is_refused_not_shifted():
    us, _, bad = parse_instants(pd.Series(["2025-03-09 02:30:00"]), "America/New_York")
    assert bad[0] and pd.isna(us[0])


# texts an export may hold in one column: ISO with and without offset, a vendor layout, epoch
# seconds, blanks and placeholders, junk
CELLS = st.sampled_from(
    [
        "2025-03-03T10:00:00Z",
        "2025-03-03T11:00:00+01:00",
        "2025-03-03 10:00:00",
        "03/04/2025 10:00",
        "1741000000",
        "",
        " ",
        "n/a",
        "not a time",
        "9999-12-31 00:00:00",
        "2025-03-30 02:30:00",
    ]
)


@given(st.lists(st.one_of(CELLS, st.none()), min_size=1, max_size=40), st.randoms())
def test_a_column_reads_as_its_cells_read_one_by_one(cells, rnd):
    """Each distinct text is parsed once and spread back (parse_instants): every cell gets what it
    gets alone, in its own row, whatever the repeats, the gaps and the row labels."""
    labels = list(range(100, 100 + len(cells)))
    rnd.shuffle(labels)
    column = pd.Series(pd.array(cells, dtype="string"), index=labels)
    fmt = ("%d/%m/%Y %H:%M",)
    out, blank, bad = parse_instants(column, "Europe/Amsterdam", fmt)
    for label, cell in zip(labels, cells, strict=True):
        alone = parse_instants(pd.Series(pd.array([cell], dtype="string")), "Europe/Amsterdam", fmt)
        assert (out[label] is pd.NA and alone[0][0] is pd.NA) or out[label] == alone[0][0], cell
        assert (bool(blank[label]), bool(bad[label])) == (bool(alone[1][0]), bool(alone[2][0]))


@given(st.lists(st.one_of(SECONDS, st.none()), min_size=1, max_size=20), ZONES)
def test_a_column_of_instants_is_written_as_each_instant_is(seconds, zone):
    """The Compliance page writes a month's breaches with local_times (column-wise); each reads as
    the timeline writes that one instant (local), with its offset, and a missing one is empty."""
    from types import SimpleNamespace

    from sla_engine.reports.timeline_text import local, local_times

    us = pd.Series(
        pd.array([None if s is None else s * 1_000_000 + 123 for s in seconds], dtype="Int64")
    )
    got = local_times(us, zone)
    tl = SimpleNamespace(timezone=zone)
    for value, text in zip(us, got, strict=True):
        assert text == ("" if value is pd.NA else local(tl, int(value))), value  # type: ignore[arg-type]
