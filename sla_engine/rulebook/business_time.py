"""Business time forwards and backwards, in Python, from the same exact UTC intervals the packed
calendar tables are built from (calendar.business_intervals).

`add_business` is the inverse the at-risk view needs: the instant at which N more minutes of a
clock have passed. Tests check it against the engine's SQL (adding N then measuring gives N).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla_engine.rulebook.calendar import MINUTE_US, business_intervals
from sla_engine.rulebook.terms import Calendar

CHUNK_DAYS = 62
HORIZON_DAYS = 3 * 366  # a calendar with no business hours in three years never reaches a target


def local_day(cal: Calendar, t_us: int) -> date:
    return datetime.fromtimestamp(t_us / 1e6, tz=UTC).astimezone(ZoneInfo(cal.timezone)).date()


def intervals(cal: Calendar, a_us: int, b_us: int) -> list[tuple[int, int]]:
    """Business intervals overlapping [a, b), clipped to it."""
    first = local_day(cal, a_us) - timedelta(days=1)
    last = local_day(cal, b_us) + timedelta(days=1)
    out = []
    for s, e in business_intervals(cal, first, last):
        s, e = max(s, a_us), min(e, b_us)
        if e > s:
            out.append((s, e))
    return out


def clock_between(cal: Calendar, business: bool, a_us: int, b_us: int) -> int:
    """Microseconds of the clock in [a, b)."""
    if b_us <= a_us:
        return 0
    if not business:
        return b_us - a_us
    return sum(e - s for s, e in intervals(cal, a_us, b_us))


def add_business(cal: Calendar, business: bool, start_us: int, amount_us: int) -> int | None:
    """The instant at which `amount_us` of the clock has passed since `start_us` (None when the
    calendar has no business time within three years)."""
    if amount_us <= 0:
        return start_us
    if not business:
        return start_us + amount_us
    left = amount_us
    day = local_day(cal, start_us) - timedelta(days=1)
    end_day = day + timedelta(days=HORIZON_DAYS)
    while day < end_day:
        chunk_end = day + timedelta(days=CHUNK_DAYS)
        for s, e in business_intervals(cal, day, chunk_end - timedelta(days=1)):
            s = max(s, start_us)
            if e <= s:
                continue
            if e - s >= left:
                return s + left
            left -= e - s
        day = chunk_end
    return None


def minutes(us: int | None) -> float | None:
    return None if us is None else us / MINUTE_US
