"""A timeline in words and as rows: the figures behind a verdict, for the page and the evidence
pack (instants in the contract's zone with their UTC offset)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sla_engine.reports.timeline import Timeline


def local(tl: Timeline, us: int | None) -> str:
    """An instant in the contract's zone with its offset, e.g. 2025-07-03 14:00 -04:00."""
    if us is None:
        return "—"
    ts = pd.Timestamp(us, unit="us", tz="UTC").tz_convert(tl.timezone)
    return ts.strftime("%Y-%m-%d %H:%M %z")[:-2] + ":" + ts.strftime("%z")[-2:]


def local_times(us: pd.Series, zone: str) -> pd.Series:
    """Instants (UTC microseconds) as local() writes them, for a whole column at once: the wall
    clock drawn by NumPy, the offset once per distinct offset ("" where there is no instant)."""
    utc = pd.to_datetime(us, unit="us", utc=True)
    wall = utc.dt.tz_convert(zone).dt.tz_localize(None)
    minutes = ((wall - utc.dt.tz_localize(None)) // pd.Timedelta(minutes=1)).astype("Int64")

    def offset(m: int) -> str:
        return f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"

    text = np.datetime_as_string(wall.to_numpy(dtype="datetime64[m]"), unit="m")
    out = pd.Series(np.char.replace(text, "T", " "), index=us.index, dtype=object)
    offsets = {m: offset(int(m)) for m in minutes.dropna().unique()}
    out = (
        out + " " + pd.Series([offsets.get(m, "") for m in minutes.astype(object)], index=us.index)
    )
    return out.where(utc.notna(), "").astype(str)


def figures_in_words(tl: Timeline) -> list[str]:
    """The figures that produce the verdict, one sentence per metric, plus the terms."""
    out = []
    for m in tl.metrics:
        verdict = "pending" if m.met is None else ("met" if m.met else "breached")
        when = (
            f"completed {local(tl, m.end_us)}"
            if m.end_us is not None
            else ("open, paused now" if m.paused_now else "open")
        )
        target = (
            f"the target was reached at {local(tl, m.target_at_us)}"
            if m.target_at_us is not None and m.end_us is not None and not m.met
            else (
                f"it breaches at {local(tl, m.target_at_us)} unless completed"
                if m.target_at_us is not None and m.end_us is None
                else (
                    "no breach instant while paused"
                    if m.paused_now and m.end_us is None
                    else "it finished within its target"
                )
            )
        )
        out.append(
            f"{m.name.capitalize()} ({m.severity}, {m.clock} clock from {local(tl, m.start_us)}): "
            f"{m.counted_min:,.1f} minutes counted against a target of {m.target_min:,.0f}"
            + (f", {m.paused_min:,.1f} paused" if m.paused_min else "")
            + f"; {when}; {verdict}; {target}."
        )
    hol = ", ".join(f"{d} {n}" for d, n in tl.holidays) or "none"
    out.append(
        f"Terms version {tl.terms_id}: calendar {tl.calendar_text}; holidays crossed: {hol}."
    )
    return out


def segment_rows(tl: Timeline) -> pd.DataFrame:
    """The segments as a table (evidence exports)."""
    return pd.DataFrame(
        [
            {
                "ticket": tl.ticket_id,
                "metric": s.metric,
                "from": local(tl, s.start_us),
                "to": local(tl, s.end_us),
                "minutes": round(s.minutes, 1),
                "what": s.label,
            }
            for s in tl.segments
        ]
    )
