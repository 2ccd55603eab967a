"""The password throttle: every try is counted, atomically, *before* the password is checked.

A try takes the throttle rows of its keys (the account, and the client address when known) under
a row lock (PostgreSQL `SELECT … FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` serialises writers),
refuses if a wait is running, counts itself and sets the wait the next try must respect, then
commits before bcrypt runs. A burst of 50 parallel guesses is therefore a queue: the first
FREE_TRIES are checked, the sixth finds the wait set by the fifth and is refused unchecked,
whatever the password. A right password clears the account's count (`cleared`).

Keys: `user:NAME` always; `ip:ADDRESS` only when the client address is known (an unknown address
never shares one bucket with everyone else's, so made-up names from "nowhere" cannot lock real
users out). The address is the one Streamlit reports, i.e. the peer of the app server; behind a
reverse proxy configure `COVENANT_TRUSTED_PROXIES` (ui/auth.py reads the forwarded address then).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.adapters.accounts import ThrottleCounters
from contracts.adapters.orm import LoginThrottleRow

FREE_TRIES = 5  # tries (right or wrong) before any wait; a right one clears the count
FIRST_WAIT = timedelta(seconds=30)  # then 30 s, 1 min, 2 min, ... (doubling)
MAX_WAIT = timedelta(hours=1)


def _utc(dt: datetime) -> datetime:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def wait_after(tries: int) -> timedelta:
    """How long an account or address waits after `tries` unsuccessful tries in a row."""
    if tries < FREE_TRIES:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (tries - FREE_TRIES), MAX_WAIT)


def keys_for(username: str, ip: str | None) -> list[str]:
    """The buckets a try counts in: its account, and its address only when the address is known."""
    keys = [f"user:{username.strip().lower()[:64]}"]
    if ip:
        keys.append(f"ip:{ip[:64]}")
    return keys


def waiting_until(row: LoginThrottleRow | None, now: datetime) -> datetime | None:
    if row is None or row.locked_until is None or _utc(row.locked_until) <= now:
        return None
    return _utc(row.locked_until)


def take_try(counters: ThrottleCounters, keys: list[str], now: datetime) -> datetime | None:
    """Count one try on every key under a row lock; the instant a running wait ends (the try is
    refused and not counted) or None (counted; the caller commits, then checks the password)."""
    rows = counters.locked(keys, now)
    waits = [w for w in (waiting_until(r, now) for r in rows) if w is not None]
    if waits:
        return max(waits)
    for r in rows:
        r.failures += 1
        r.last_failure = now
        wait = wait_after(r.failures)
        r.locked_until = now + wait if wait else None
    counters.flush()
    return None


def cleared(counters: ThrottleCounters, keys: list[str]) -> None:
    """A right password: the account's count starts again; the address's try is taken back (it
    keeps the failures it had, so one valid account cannot wash an address's guesses away)."""
    for k in keys:
        row = counters.one_locked(k)
        if row is None:
            continue
        if k.startswith("user:"):
            counters.remove(row)
            continue
        row.failures = max(row.failures - 1, 0)
        wait = wait_after(row.failures)
        row.locked_until = _utc(row.last_failure) + wait if wait else None
