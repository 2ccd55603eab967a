"""Independent pure-Python oracle: walks every real minute and asks zoneinfo what local time it is.

It shares nothing with the engine's calendar code or SQL: no interval
arithmetic, no lookup table, just "is this minute business time, and was the
ticket paused or already resolved in it?". Inputs must be minute-aligned.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

from sla_engine.rulebook.terms import Terms, hhmm_to_minutes

MIN = 60_000_000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@cache
def _same(status: str) -> str:
    """The README's rule, written here on its own: case, and spaces, hyphens or underscores
    between words, do not matter."""
    return " ".join(status.lower().replace("-", " ").replace("_", " ").split())


def _holidays_cached(
    country: str, subdiv: str | None, observed: bool, year: int
) -> frozenset[date]:
    return frozenset(
        holidays_pkg.country_holidays(country, subdiv=subdiv, years=[year], observed=observed)
    )


def _holidays(t: Terms, year: int) -> set[date]:
    out = set(t.calendar.extra_holidays)
    h = t.calendar.holidays
    if h:
        out |= _holidays_cached(h.country, h.subdivision, h.observed, year)
    return out


def is_business_minute(t: Terms, minute_us: int) -> bool:
    local = datetime.fromtimestamp(minute_us / 1e6, UTC).astimezone(ZoneInfo(t.calendar.timezone))
    week = t.calendar.week
    all_day = all(week.get(d) == [("00:00", "24:00")] for d in DAYS)
    if all_day:
        return True
    if local.date() in _holidays(t, local.year):
        return False
    m = local.hour * 60 + local.minute
    return any(
        hhmm_to_minutes(s) <= m < hhmm_to_minutes(e) for s, e in week.get(DAYS[local.weekday()], [])
    )


def elapsed(t: Terms, clock: str, start: int, end: int, excluded: list[tuple[int, int]]) -> int:
    """Counted minutes in [start, end), in microseconds."""
    total = 0
    m = start
    while m < end:
        if not any(a <= m < b for a, b in excluded) and (
            clock == "calendar" or is_business_minute(t, m)
        ):
            total += MIN
        m += MIN
    return total


def judge(t: Terms, ticket: dict, status_events: list[tuple[int, str]], as_of: int) -> dict:
    """Response and resolution for one ticket (single severity), as the README states the rules."""
    created = ticket["created_us"]
    tier = t.tiers[ticket["severity"]]
    pause = {_same(s) for s in t.pause_statuses}
    resolved = {_same(s) for s in t.resolved_statuses}
    ev = sorted(
        ((c, _same(s)) for c, s in status_events if c <= as_of), key=lambda e: e[0]
    )  # stable: ties keep input order
    intervals = [(c, ev[i + 1][0] if i + 1 < len(ev) else None, s) for i, (c, s) in enumerate(ev)]
    res = ticket.get("resolved_us")
    res = res if res is not None and res <= as_of else None
    if any(s in resolved for _, _, s in intervals):
        res = None
        if intervals and intervals[-1][2] in resolved:
            k = len(intervals) - 1
            while k > 0 and intervals[k - 1][2] in resolved:
                k -= 1
            res = intervals[k][0]
    fr = ticket.get("first_response_us")
    fr = fr if fr is not None and fr <= as_of else None
    fr = fr if fr is not None else res
    excluded = [
        (a, b if b is not None else as_of)
        for a, b, s in intervals
        if s in pause or (s in resolved and (res is None or a < res))
    ]
    out = {}
    for name, end, target in (
        ("resp", fr, tier.response_minutes),
        ("res", res, tier.resolution_minutes),
    ):
        stop = end if end is not None else as_of
        el = elapsed(t, tier.clock, created, stop, excluded)
        tgt = round(target * MIN)
        if end is not None:
            met = el < tgt or (t.met_when_equal and el == tgt)
        else:
            met = False if (el > tgt or (not t.met_when_equal and el == tgt)) else None
        out[name] = (el, met)
    return out
