"""Business calendars turned into exact UTC intervals and an hourly lookup table.

Why a lookup table: business time between two instants is cum(b) - cum(a),
where cum(t) counts business microseconds up to t. Precomputing cum at every
UTC hour plus the (at most two) business segments inside that hour lets DuckDB
evaluate cum(t) with one equi-join per timestamp instead of a per-ticket loop,
and keeps DST exact because windows are converted to UTC here, once, with
zoneinfo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
import numpy as np
import pandas as pd

from sla_engine.errors import CalendarError
from sla_engine.rulebook.terms import Calendar

US = 1_000_000  # microseconds per second
BUCKET_US = 3600 * US  # one UTC hour
MINUTE_US = 60 * US
UTC = UTC


@lru_cache(maxsize=64)
def _public_holidays(
    country: str, subdivision: str | None, observed: bool, years: tuple[int, ...]
) -> tuple[tuple[date, str], ...]:
    """A country's (or subdivision's) public holidays in `years`: computed once per process (the
    holidays package builds them from rules each call; a timeline asks on every page run)."""
    try:
        hol = holidays_pkg.country_holidays(
            country, subdiv=subdivision, years=list(years), observed=observed
        )
    except NotImplementedError as exc:
        raise CalendarError(
            f"holidays: no calendar for country {country!r} subdivision {subdivision!r}: {exc}"
        ) from exc
    return tuple(sorted(hol.items()))


def _public(cal: Calendar, years: tuple[int, ...]) -> tuple[tuple[date, str], ...]:
    h = cal.holidays
    return () if h is None else _public_holidays(h.country, h.subdivision, h.observed, years)


def holiday_dates(cal: Calendar, years: range) -> set[date]:
    """Public holidays (observed days when asked) plus the contract's extra days."""
    return set(cal.extra_holidays) | {d for d, _ in _public(cal, tuple(years))}


def holiday_list(cal: Calendar, year: int) -> list[dict]:
    """The closed days of one year with their names, for people to check (Admin page)."""
    rows = [
        {"date": d, "name": "extra holiday (contract)", "source": "extra_holidays"}
        for d in cal.extra_holidays
        if d.year == year
    ]
    if cal.holidays is not None:
        source = cal.holidays.country + (
            f"-{cal.holidays.subdivision}" if cal.holidays.subdivision else ""
        )
        rows += [{"date": d, "name": name, "source": source} for d, name in _public(cal, (year,))]
    return sorted(rows, key=lambda r: r["date"])


def _epoch_us(dt: datetime) -> int:
    return int((dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))


def _offset_us(zone: ZoneInfo, t_us: int) -> int:
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=t_us)
    off = dt.astimezone(zone).utcoffset()
    assert off is not None
    return int(off // timedelta(microseconds=1))


def _transition_between(zone: ZoneInfo, a_us: int, b_us: int) -> int:
    """First instant in (a, b] whose offset differs from a's (to the second)."""
    oa = _offset_us(zone, a_us)
    lo, hi = a_us, b_us
    while hi - lo > US:
        mid = (lo + hi) // 2 // US * US
        if mid <= lo:
            mid = lo + US
        if _offset_us(zone, mid) == oa:
            lo = mid
        else:
            hi = mid
    return hi


def local_window_to_utc(
    zone: ZoneInfo, start_local: datetime, end_local: datetime
) -> list[tuple[int, int]]:
    """Every real instant whose local wall time lies in [start_local, end_local).

    Exact across DST: a window that spans the spring-forward gap is shorter in
    real time, one that spans the fall-back hour is longer, and a wall time
    that does not exist maps to nothing.
    """
    naive_s = _epoch_us(start_local.replace(tzinfo=UTC))
    naive_e = _epoch_us(end_local.replace(tzinfo=UTC))
    offsets = set()
    for wall in (start_local, end_local):
        for fold in (0, 1):
            delta = wall.replace(tzinfo=zone, fold=fold).utcoffset()
            assert delta is not None
            offsets.add(int(delta // timedelta(microseconds=1)))
    pieces: list[tuple[int, int]] = []
    for off in sorted(offsets):
        # UTC instants if `off` were in force throughout; keep the parts where it is
        for s, e, actual in _constant_offset_pieces(zone, naive_s - off, naive_e - off):
            if actual == off:
                pieces.append((s, e))
    return _merge(pieces)


def _constant_offset_pieces(zone: ZoneInfo, a_us: int, b_us: int) -> list[tuple[int, int, int]]:
    """Split [a, b) where the zone's offset changes (sampled hourly, bisected to the second)."""
    samples = list(range(a_us, b_us, BUCKET_US)) + [b_us - 1]
    pieces: list[tuple[int, int, int]] = []
    start, off = a_us, _offset_us(zone, a_us)
    for prev, cur in zip(samples, samples[1:], strict=False):
        o = _offset_us(zone, cur)
        if o != off:
            tr = _transition_between(zone, prev, cur)
            pieces.append((start, tr, off))
            start, off = tr, o
    pieces.append((start, b_us, off))
    return pieces


def _merge(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(pieces):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def business_intervals(cal: Calendar, first_day: date, last_day: date) -> list[tuple[int, int]]:
    """Business time as merged UTC [start, end) microsecond intervals for local days in range.

    Computed per calendar year and cached: the app and the CLI ask for the same years again and
    again.
    """
    if cal.is_24x7:
        return _intervals_for_days(cal, first_day, last_day)
    key = cal.model_dump_json()
    pieces: list[tuple[int, int]] = []
    for year in range(first_day.year, last_day.year + 1):
        pieces.extend(
            (s, e) for s, e, d in _year_intervals(key, year) if first_day <= d <= last_day
        )
    return _merge(pieces)


@lru_cache(maxsize=256)
def _year_intervals(cal_json: str, year: int) -> tuple[tuple[int, int, date], ...]:
    """One calendar year of business intervals.

    Days whose UTC offset is constant from local midnight to the next are done
    with vectorised pandas arithmetic (window start - offset); the few days with
    a DST change go through the exact per-window conversion.
    """
    cal = Calendar.model_validate_json(cal_json)
    zone = ZoneInfo(cal.timezone)
    hol = holiday_dates(cal, range(year, year + 1))
    windows = cal.minute_windows()
    days = pd.date_range(
        f"{year}-01-01", f"{year + 1}-01-01", freq="D"
    )  # naive local midnights, +1
    aware = days.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    naive_us = days.as_unit("us").asi8
    utc_us = aware.as_unit("us").asi8
    offset = naive_us - utc_us  # local - UTC at each local midnight
    steady = offset[:-1] == offset[1:]
    out: list[tuple[int, int, date]] = []
    day_list = [d.date() for d in days[:-1]]
    for i, day in enumerate(day_list):
        if day in hol:
            continue
        wins = windows.get(day.weekday(), [])
        if not wins:
            continue
        if steady[i]:
            base = int(naive_us[i] - offset[i])
            out.extend((base + s * MINUTE_US, base + e * MINUTE_US, day) for s, e in wins)
        else:
            for s_min, e_min in wins:
                start = datetime.combine(day, time(0)) + timedelta(minutes=s_min)
                end = datetime.combine(day, time(0)) + timedelta(minutes=e_min)
                out.extend((a, b, day) for a, b in local_window_to_utc(zone, start, end))
    return tuple(out)


def _intervals_for_days(cal: Calendar, first_day: date, last_day: date) -> list[tuple[int, int]]:
    """24x7: one interval from the first local midnight to the last (real elapsed time)."""
    zone = ZoneInfo(cal.timezone)
    s = datetime.combine(first_day, time(0), zone)
    e = datetime.combine(last_day + timedelta(days=1), time(0), zone)
    return [(_epoch_us(s), _epoch_us(e))]


@dataclass(frozen=True)
class CalendarTable:
    """Hourly lookup rows for one calendar, covering [first_bucket, last_bucket]."""

    cal_id: str
    frame: pd.DataFrame  # bucket, cum_us, s1, e1, s2, e2, offset_us


def build_table(cal: Calendar, start_us: int, end_us: int) -> CalendarTable:
    """Lookup rows for every UTC hour in [start_us, end_us], with margin of a day each side."""
    zone = ZoneInfo(cal.timezone)
    first_b = start_us // BUCKET_US - 24
    last_b = end_us // BUCKET_US + 24
    t0 = first_b * BUCKET_US
    t1 = (last_b + 1) * BUCKET_US
    d0 = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=t0)).date() - timedelta(days=1)
    d1 = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=t1)).date() + timedelta(days=1)
    ivs = [
        (max(s, t0), min(e, t1)) for s, e in business_intervals(cal, d0, d1) if e > t0 and s < t1
    ]
    n = last_b - first_b + 1
    buckets = np.arange(first_b, last_b + 1, dtype=np.int64)
    seg = np.zeros((n, 4), dtype=np.int64)
    nseg = np.zeros(n, dtype=np.int64)
    per_bucket = np.zeros(n, dtype=np.int64)
    for s, e in ivs:
        bs, be = s // BUCKET_US - first_b, (e - 1) // BUCKET_US - first_b
        for b in (bs, be) if be > bs else (bs,):
            lo = max(s, (b + first_b) * BUCKET_US) - (b + first_b) * BUCKET_US
            hi = min(e, (b + first_b + 1) * BUCKET_US) - (b + first_b) * BUCKET_US
            k = nseg[b]
            if k >= 2:
                raise CalendarError(
                    f"calendar {cal.timezone}: more than two business windows start or end within "
                    f"one hour"
                    " (UTC hour "
                    f"{datetime.fromtimestamp((b + first_b) * 3600, UTC):%Y-%m-%d %H:00});"
                    " windows and gaps must be at least an hour apart"
                )
            seg[b, 2 * k], seg[b, 2 * k + 1] = lo, hi
            nseg[b] = k + 1
            per_bucket[b] += hi - lo
        if be - bs > 1:
            mid = slice(bs + 1, be)
            if (nseg[mid] > 0).any():
                raise CalendarError(f"calendar {cal.timezone}: overlapping business intervals")
            seg[mid, 0], seg[mid, 1] = 0, BUCKET_US
            nseg[mid] = 1
            per_bucket[mid] = BUCKET_US
    cum = np.concatenate([[0], np.cumsum(per_bucket)[:-1]])
    offsets = _hourly_offsets(zone, first_b, last_b)
    frame = pd.DataFrame(
        {
            "bucket": buckets,
            "cum_us": cum,
            "s1": seg[:, 0],
            "e1": seg[:, 1],
            "s2": seg[:, 2],
            "e2": seg[:, 3],
            "offset_us": offsets,
        }
    )
    return CalendarTable(cal.fingerprint(), frame)


def _hourly_offsets(zone: ZoneInfo, first_b: int, last_b: int) -> np.ndarray:
    """UTC offset in force through each UTC hour; refuses zones that change offset mid-hour.

    Sampled daily and bisected at each change, so a decade costs a few thousand lookups.
    """
    changes: list[tuple[int, int]] = [(first_b, _offset_us(zone, first_b * BUCKET_US))]
    day = 24
    b = first_b
    while b < last_b:
        nxt = min(b + day, last_b)
        off = _offset_us(zone, nxt * BUCKET_US)
        if off != changes[-1][1]:
            for t_us in _all_transitions(zone, b * BUCKET_US, nxt * BUCKET_US):
                if t_us % BUCKET_US:
                    raise CalendarError(
                        f"time zone {zone.key} changes its UTC offset in the middle of an hour"
                        f" ({datetime.fromtimestamp(t_us / US, UTC).isoformat()}); not supported"
                    )
                changes.append((t_us // BUCKET_US, _offset_us(zone, t_us)))
        b = nxt
    starts = np.array([c[0] for c in changes], dtype=np.int64)
    offs = np.array([c[1] for c in changes], dtype=np.int64)
    idx = np.searchsorted(starts, np.arange(first_b, last_b + 1, dtype=np.int64), side="right") - 1
    return offs[idx]


def _all_transitions(zone: ZoneInfo, a_us: int, b_us: int) -> list[int]:
    """Every offset change in (a, b], found by hourly sampling and bisection."""
    out = []
    prev_t, prev_off = a_us, _offset_us(zone, a_us)
    t = a_us
    while t < b_us:
        t = min(t + BUCKET_US, b_us)
        off = _offset_us(zone, t)
        if off != prev_off:
            out.append(_transition_between(zone, prev_t, t))
        prev_t, prev_off = t, off
    return out
