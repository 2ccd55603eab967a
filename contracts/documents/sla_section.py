"""The SLA section of a contract in words and tables: targets per severity, business hours and
holidays, credits. Rendered from the same terms document the engine measures."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table

from contracts.documents.styles import GRID, STYLES, para
from sla_engine.rulebook.terms import DAYS, Terms


def _p(text: str, style: str = "p") -> Paragraph:
    return para(text, style)


def _minutes(m: float) -> str:
    m = float(m)
    if m >= 60 and m % 60 == 0:
        h = int(m // 60)
        return f"{h} hour{'s' if h != 1 else ''}"
    return f"{m:g} minutes"


def sla_table(terms: Terms, descriptions: dict[str, str]) -> Table:
    rows = [["Severity", "Meaning", "First response", "Resolution", "Clock", "Target"]]
    for name, t in terms.tiers.items():
        rows.append(
            [
                name,
                Paragraph(escape(descriptions.get(name, "")), STYLES["cell"]),
                _minutes(t.response_minutes),
                _minutes(t.resolution_minutes),
                "24x7" if t.clock == "calendar" else "business hours",
                f"{t.target_pct:g} %",
            ]
        )
    tbl = Table(
        rows, colWidths=[18 * mm, 55 * mm, 25 * mm, 25 * mm, 27 * mm, 18 * mm], repeatRows=1
    )
    tbl.setStyle(GRID)
    return tbl


def hours_text(terms: Terms) -> str:
    cal = terms.calendar
    parts = []
    for day in DAYS:
        spans = cal.week.get(day)
        if spans:
            parts.append(f"{day.capitalize()} " + ", ".join(f"{s}-{e}" for s, e in spans))
    if cal.holidays:
        sub = f" ({cal.holidays.subdivision})" if cal.holidays.subdivision else ""
        observed = ", observed days included" if cal.holidays.observed else ""
        hol = f"public holidays of {cal.holidays.country}{sub}{observed}"
    else:
        hol = "no public holidays"
    extra = (
        f"; also closed on {', '.join(d.isoformat() for d in cal.extra_holidays)}"
        if cal.extra_holidays
        else ""
    )
    return f"Business hours ({cal.timezone}): {'; '.join(parts) or 'none'}. Closed on {hol}{extra}."


def credits_text(terms: Terms) -> str:
    c = terms.credits
    if c.kind == "bands":
        bands = "; ".join(
            f"below {b.below_pct:g} %: {b.credit_pct:g} % of the monthly fee" for b in c.bands
        )
        how = f"Monthly compliance per severity tier earns a service credit: {bands}."
    elif c.kind == "per_point":
        how = (
            f"For each whole percentage point of monthly compliance below a tier's target, the "
            f"Customer earns "
            f"{c.credit_pct_per_point:g} % of the monthly fee."
        )
    else:
        return "No service credits apply."
    comb = (
        "the largest credit earned by any tier and metric applies"
        if c.combine == "max"
        else "credits of all tiers and metrics are added"
    )
    return (
        f"{how} Where several tiers or metrics earn credits in one month, {comb}. Credits are "
        f"capped at "
        f"{c.cap_pct:g} % of the monthly fee of {terms.currency} {terms.monthly_fee:,.2f}. A tier "
        f"with fewer "
        f"than {c.min_tickets} tickets in a month is not measurable and earns no credit."
    )
