"""Why a ticket met or breached: its SLA timeline, as segments the pages and the evidence PDF draw.

For each metric (response, resolution) the window runs from the clock's start (creation, or under
`from_change` the change to the severity in force when the metric completed) to its completion
(or the evaluation instant). Inside it every instant is one of:
  counted                  inside the calendar's business windows (or any time, on a 24x7 clock)
  outside business hours   a business-hours clock outside its windows
  holiday (name)           a closed day of the calendar
  paused (status)          a status the terms pause
  resolved, then reopened  time resolved before a reopen
The figures (minutes counted, paused, the verdict) are the engine's own (`per_ticket`); the
segments are cut from the same exact calendar intervals, and tests check that the counted
segments add up to the engine's minutes. The target instant is where the counted time reaches
the target; for an open metric it lies ahead (time to breach), unless the ticket is paused now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from sla_engine.errors import EvaluationError
from sla_engine.reports.analysis import evaluate_to_table, per_ticket_frame
from sla_engine.rulebook.business_time import add_business, intervals, local_day
from sla_engine.rulebook.calendar import MINUTE_US, holiday_list
from sla_engine.rulebook.engine import narrow_tickets
from sla_engine.rulebook.terms import Terms
from sla_engine.sqlfiles import connect, sql
from sla_engine.store.core import Store

COUNTED = "counted"
OUTSIDE = "outside business hours"
HOLIDAY = "holiday"
PAUSED = "paused"
REOPENED = "resolved, then reopened"


@dataclass(frozen=True)
class Segment:
    metric: str
    start_us: int
    end_us: int
    kind: str
    label: str

    @property
    def minutes(self) -> float:
        return (self.end_us - self.start_us) / MINUTE_US


@dataclass(frozen=True)
class Marker:
    at_us: int
    kind: str  # created, first response, resolved, severity change, target
    label: str


@dataclass
class Metric:
    name: str
    severity: str
    clock: str  # "business hours" | "24x7"
    target_min: float
    counted_min: float  # the engine's
    paused_min: float  # the engine's (on this metric's clock)
    start_us: int
    end_us: int | None  # completion; None while open
    met: bool | None  # None = pending
    target_at_us: int | None  # when the counted time reaches the target (None: never, or paused)
    paused_now: bool = False


@dataclass
class Timeline:
    contract_id: str
    ticket_id: str
    terms_id: str
    timezone: str
    calendar_text: str
    holidays: list[tuple[str, str]]  # (date, name) crossed by the windows
    as_of_us: int
    metrics: list[Metric] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)


def _calendar_text(t: Terms) -> str:
    cal = t.calendar
    if cal.is_24x7:
        return f"24x7 in {cal.timezone}"
    days = ", ".join(f"{d} {'+'.join(f'{a}-{b}' for a, b in w)}" for d, w in cal.week.items() if w)
    hol = (
        f"; holidays {cal.holidays.country}"
        + (f"-{cal.holidays.subdivision}" if cal.holidays.subdivision else "")
        if cal.holidays
        else "; no public holidays"
    )
    return f"{days} ({cal.timezone}){hol}"


def _pieces(
    t: Terms,
    metric: str,
    business: bool,
    a: int,
    b: int,
    excluded: list[tuple[int, int, str, str]],
    holidays: dict,
) -> list[Segment]:
    """Cut [a, b) into labelled segments (excluded first, then business windows)."""
    if b <= a:
        return []
    windows = intervals(t.calendar, a, b) if business else [(a, b)]
    cuts = {a, b}
    for s, e, _k, _l in excluded:
        cuts.update(x for x in (s, e) if a < x < b)
    for s, e in windows:
        cuts.update((s, e))
    if business:  # local midnights, so a closed day is its own segment (named when a holiday)
        zone = ZoneInfo(t.calendar.timezone)
        day = local_day(t.calendar, a) + timedelta(days=1)
        while day <= local_day(t.calendar, b):
            midnight = int(datetime.combine(day, time(0), tzinfo=zone).timestamp() * 1_000_000)
            if a < midnight < b:
                cuts.add(midnight)
            day += timedelta(days=1)
    points = sorted(cuts)
    out: list[Segment] = []
    for s, e in zip(points, points[1:], strict=False):
        mid = s + (e - s) // 2
        ex = next(((k, lab) for xs, xe, k, lab in excluded if xs <= mid < xe), None)
        if ex is not None:
            kind, label = ex
        elif any(ws <= mid < we for ws, we in windows):
            kind, label = COUNTED, "counted"
        else:
            day = local_day(t.calendar, mid)
            name = holidays.get(day)
            kind, label = (HOLIDAY, f"holiday: {name}") if name else (OUTSIDE, OUTSIDE)
        if out and out[-1].kind == kind and out[-1].label == label and out[-1].end_us == s:
            out[-1] = Segment(metric, out[-1].start_us, e, kind, label)
        else:
            out.append(Segment(metric, s, e, kind, label))
    return out


def ticket_timeline(store: Store, contract_id: str, ticket_id: str, as_of_us: int) -> Timeline:
    """The timeline of one ticket, as of an instant, with the engine's figures."""
    return ticket_timelines(store, contract_id, [ticket_id], as_of_us)[0]


MAX_TIMELINES = 200  # an evidence pack explains at most this many tickets (the CSV holds all)


def ticket_timelines(
    store: Store, contract_id: str, ticket_ids: list[str], as_of_us: int
) -> list[Timeline]:
    """Timelines of several tickets of one contract, evaluated once."""
    all_terms = {t.terms_id: t for t in store.terms() if t.contract_id == contract_id}
    if not all_terms:
        raise EvaluationError(f"no SLA terms registered for contract {contract_id}")
    con = connect()
    store.attach(con, only_contract=contract_id)
    ids = [str(t) for t in ticket_ids[:MAX_TIMELINES]]
    narrow_tickets(con, "list_contains(?, ticket_id)", [ids])
    evaluate_to_table(con, list(all_terms.values()), as_of_us)
    rows = per_ticket_frame(con, "list_contains(?, ticket_id)", [ids]).set_index("ticket_id")
    missing = [t for t in ids if t not in rows.index]
    if missing:
        raise EvaluationError(f"ticket {missing[0]} of {contract_id} is not evaluated as of then")
    tid = dict(
        con.execute(
            "SELECT ticket_id, tid FROM tickets WHERE list_contains(?, ticket_id)", [ids]
        ).fetchall()
    )
    tids = list(tid.values())
    # what the rulebook does not count, and each metric's clock: rulebook_history.sql's rules
    spans: dict[int, list] = {}
    for t, *rest in con.execute(sql("timeline_spans")).fetchall():
        spans.setdefault(t, []).append(tuple(rest))
    clocks = {t: Clock(*rest) for t, *rest in con.execute(sql("timeline_clocks")).fetchall()}
    severity: dict[int, list] = {}
    for t, *rest in con.execute(
        "SELECT tid, start_us, severity FROM severity_log WHERE list_contains(?, tid) "
        "AND start_us <= ? ORDER BY tid, start_us",
        [tids, as_of_us],
    ).fetchall():
        severity.setdefault(t, []).append(tuple(rest))
    return [
        _timeline(
            rows.loc[t],
            all_terms[str(rows.loc[t, "terms_id"])],
            contract_id,
            t,
            spans.get(tid[t], []),
            clocks.get(tid[t]),
            severity.get(tid[t], []),
            as_of_us,
        )
        for t in ids
    ]


@dataclass(frozen=True)
class Clock:
    """A history ticket's clocks as the rulebook sets them (timeline_clocks.sql)."""

    resp_start: int
    res_start: int
    resp_ex: int
    res_ex: int
    paused_now: bool

    def of(self, metric: str) -> tuple[int, int]:
        """(clock start, excluded time) of the response or the resolution."""
        if metric == "response":
            return int(self.resp_start), int(self.resp_ex)
        return int(self.res_start), int(self.res_ex)


def _timeline(
    r: pd.Series,
    terms: Terms,
    contract_id: str,
    ticket_id: str,
    spans: list,
    clock: Clock | None,
    sev_log: list,
    as_of_us: int,
) -> Timeline:
    created = int(r["created_us"])
    res_at = None if pd.isna(r["res_at"]) else int(r["res_at"])
    resp_at = None if pd.isna(r["resp_at"]) else int(r["resp_at"])
    excluded: list[tuple[int, int, str, str]] = [
        (int(a), int(b), PAUSED, f"paused: {status}")
        if reason == "pause"
        else (int(a), int(b), REOPENED, REOPENED)
        for a, b, reason, status in spans
    ]
    paused_now = clock is not None and clock.paused_now
    years = range(
        local_day(terms.calendar, created).year, local_day(terms.calendar, as_of_us).year + 1
    )
    holidays = {h["date"]: h["name"] for y in years for h in holiday_list(terms.calendar, y)}
    tl = Timeline(
        contract_id=contract_id,
        ticket_id=ticket_id,
        terms_id=terms.terms_id,
        timezone=terms.calendar.timezone,
        calendar_text=_calendar_text(terms),
        holidays=[],
        as_of_us=as_of_us,
    )
    tl.markers.append(Marker(created, "created", "created"))
    for k, (s, sev) in enumerate(sev_log):
        if k > 0 or int(s) > created:
            tl.markers.append(Marker(int(s), "severity change", f"severity {sev}"))
    for name, done_at, el, target, met, sev in (
        ("response", resp_at, r["resp_el"], r["resp_target"], r["resp_met"], r["resp_sev"]),
        ("resolution", res_at, r["res_el"], r["res_target"], r["res_met"], r["severity"]),
    ):
        tier = terms.tiers[str(sev)]
        business = tier.clock == "business" and not terms.calendar.is_24x7
        eval_end = done_at if done_at is not None else as_of_us
        start, excluded_us = (created, 0) if clock is None else clock.of(name)
        segs = _pieces(terms, name, business, start, eval_end, excluded, holidays)
        tl.segments.extend(segs)
        target_us = int(target)
        counted = 0
        target_at = None
        for sgm in segs:
            if sgm.kind != COUNTED:
                continue
            span = sgm.end_us - sgm.start_us
            if counted + span >= target_us:
                target_at = sgm.start_us + (target_us - counted)
                break
            counted += span
        if target_at is None and done_at is None and not paused_now:
            target_at = add_business(terms.calendar, business, eval_end, target_us - int(el))
        tl.metrics.append(
            Metric(
                name=name,
                severity=str(sev),
                clock="business hours" if business else "24x7",
                target_min=target_us / MINUTE_US,
                counted_min=float(el) / MINUTE_US,
                paused_min=excluded_us / MINUTE_US,  # the rulebook's, on this metric's clock
                start_us=start,
                end_us=done_at,
                met=None if pd.isna(met) else bool(met),
                target_at_us=target_at,
                paused_now=paused_now and done_at is None,
            )
        )
        if target_at is not None:
            tl.markers.append(
                Marker(target_at, "target", f"{name} target ({target_us / MINUTE_US:g} min)")
            )
    if resp_at is not None:
        tl.markers.append(Marker(resp_at, "first response", "first response"))
    if res_at is not None:
        tl.markers.append(Marker(res_at, "resolved", "resolved"))
    days = {local_day(terms.calendar, s.start_us) for s in tl.segments}
    days |= {local_day(terms.calendar, s.end_us - 1) for s in tl.segments}
    first, last = (min(days), max(days)) if days else (None, None)
    if first is not None and last is not None:
        d = first
        while d <= last:
            if d in holidays:
                tl.holidays.append((d.isoformat(), str(holidays[d])))
            d += timedelta(days=1)
    tl.markers.sort(key=lambda m: m.at_us)
    return tl
