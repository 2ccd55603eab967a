"""Parse export timestamps into UTC epoch microseconds, never guessing a zone silently."""

from __future__ import annotations

import numpy as np
import pandas as pd

_EMPTY = {"", "?", "null", "none", "nan", "nat", "n/a", "-"}


# Instants a help-desk export can plausibly hold. Anything outside is a typo or a placeholder
# (0001-01-01, 9999-12-31) and is quarantined with its column named, so one bad row cannot break
# the calendar tables or the ledger for the rest.
PLAUSIBLE_FROM = pd.Timestamp("1990-01-01", tz="UTC")
PLAUSIBLE_TO = pd.Timestamp("2100-01-01", tz="UTC")
_FROM_US = int(PLAUSIBLE_FROM.value // 1000)
_TO_US = int(PLAUSIBLE_TO.value // 1000)


_EPOCH_S = r"\d{9,10}(?:\.\d{1,6})?"
_EPOCH_MS = r"\d{12,13}"
# an offset at the end of an ISO 8601 time: Z, +05:30, +0530 or +05
_OFFSET = r"(?:[+-]\d\d(?::?\d\d)?|Z)$"
# layouts with an offset that are not ISO 8601, read in every profile: RFC 2822 (Jira's XML export,
# e-mail headers)
_AWARE_TEXT = ("%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M %z")
# naive times outside these years are not put in a zone (pandas cannot; they are implausible)
_NAIVE_FROM = pd.Timestamp("1900-01-01")
_NAIVE_TO = pd.Timestamp("2200-01-01")


def implausible(us: pd.Series) -> pd.Series:
    """Parsed instants outside [1990-01-01, 2100-01-01) UTC."""
    return us.notna() & ((us < _FROM_US) | (us >= _TO_US))


PLAUSIBLE_TEXT = "outside the plausible range 1990-01-01 to 2099-12-31"


def is_blank(series: pd.Series) -> pd.Series:
    """Cells that mean 'no value' in the exports we read."""
    s = series.astype("string")
    return s.isna() | s.str.strip().str.lower().isin(_EMPTY)


def parse_instants(
    series: pd.Series, tz: str | None, formats: tuple[str, ...] = ()
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Text -> (UTC microseconds as Int64, blank mask, bad mask).

    Values with an offset are exact. Naive values are read in `tz`; with no
    `tz` they are bad ("naive timestamp and no --tz"), so nothing is guessed.
    Non-existent local times (spring-forward gap) are bad; ambiguous ones
    (fall-back hour) take the first occurrence.

    Each distinct text is parsed once: an export repeats its times (an event log carries a
    ticket's opening time on every event; times to the minute repeat across tickets), and the
    layouts tried one after another cost per value.
    """
    raw = series.astype("string").str.strip()
    codes, distinct = pd.factorize(raw, use_na_sentinel=True)
    if len(distinct) == len(raw):
        return _parse_each(raw, tz, formats)
    # a missing cell becomes one more distinct value: <NA>, which reads as blank
    codes = np.where(codes < 0, len(distinct), codes)
    values = pd.Series(pd.array([*distinct, pd.NA], dtype="string"))
    out, blank, bad = _parse_each(values, tz, formats)

    def spread(s: pd.Series) -> pd.Series:
        return pd.Series(s.array.take(codes), index=raw.index)

    return spread(out), spread(blank), spread(bad)


def _parse_each(
    raw: pd.Series, tz: str | None, formats: tuple[str, ...]
) -> tuple[pd.Series, pd.Series, pd.Series]:
    blank = is_blank(raw)
    values = raw.where(~blank)
    out = pd.Series(pd.array([pd.NA] * len(raw), dtype="Int64"), index=raw.index)
    bad = pd.Series(False, index=raw.index)
    if not (~blank).any():
        return out, blank, bad
    # Unix epoch numbers (API exports): 9-10 digits are seconds, 12-13 milliseconds, both UTC;
    # only within the plausible years, so a date written as 20250304 is never one
    epoch = pd.Series(False, index=raw.index)
    for pattern, per_us in ((_EPOCH_S, 1_000_000), (_EPOCH_MS, 1_000)):
        hit = (~blank) & values.str.fullmatch(pattern, na=False)
        if hit.any():
            us = (values[hit].astype("float64") * per_us).round().astype("int64")
            plausible = (us >= _FROM_US) & (us < _TO_US)
            out.loc[us[plausible].index] = us[plausible].values
            epoch |= hit & plausible.reindex(raw.index, fill_value=False)
    has_offset = values.str.contains(_OFFSET, regex=True, na=False)
    for aware in (True, False):
        mask = (~blank) & ~epoch & (has_offset if aware else ~has_offset)
        if not mask.any():
            continue
        part = values[mask]
        if not aware and tz is None:
            bad |= mask
            continue
        parsed = pd.to_datetime(part, format="ISO8601", errors="coerce", utc=aware)
        tried = formats + (_AWARE_TEXT if aware else ())
        for fmt in tried:  # profile-specific layouts, tried for what ISO 8601 did not read
            miss = parsed.isna()
            if not miss.any():
                break
            parsed[miss] = pd.to_datetime(part[miss], format=fmt, errors="coerce", utc=aware)
        if not aware:
            # a placeholder year (9999) cannot be put in a zone; read as UTC, it is quarantined
            # as implausible like any other instant outside the plausible range
            far = parsed.notna() & ((parsed < _NAIVE_FROM) | (parsed >= _NAIVE_TO))
            far_us = parsed[far].astype("datetime64[us]").astype("int64")
            parsed = parsed.where(~far)
            parsed = parsed.dt.tz_localize(
                tz, ambiguous=np.ones(len(parsed), dtype=bool), nonexistent="NaT"
            )
        ok = parsed.notna()
        us = (
            parsed[ok]
            .dt.tz_convert("UTC")
            .dt.tz_localize(None)
            .astype("datetime64[us]")
            .astype("int64")
        )
        out.loc[us.index] = us.values
        if not aware and len(far_us):
            out.loc[far_us.index] = far_us.values
            ok |= far
        bad.loc[ok[~ok].index] = True
    return out, blank, bad


def has_naive(series: pd.Series) -> bool:
    """Whether some filled value is a local time with no offset (and so needs a zone)."""
    values = series.astype("string").str.strip()
    values = values[~is_blank(values)]
    if values.empty:
        return False
    # a number of minutes (Zendesk reply time) is not a timestamp
    stamps = values[~values.str.fullmatch(r"-?\d+(?:\.\d+)?", na=False)]
    return bool((~stamps.str.contains(_OFFSET, regex=True, na=False)).any())
