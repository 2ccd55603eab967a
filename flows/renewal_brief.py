"""The renewal brief: a vendor manager's PDF for a renewal meeting, one or more contracts side by
side.

Figures come from the SLA engine's monthly report and credits (passed in, so this module computes
nothing
the dashboard does not show); the charts are drawn with reportlab's own graphics (vector, no
browser or
image exporter needed): compliance per tier by month against the target, and credits by month.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from contracts.documents.styles import GRID, STYLES
from flows import negotiation
from sla_engine.rulebook.terms import Terms

TIER_COLOURS = [
    colors.HexColor(c) for c in ("#d62728", "#ff7f0e", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b")
]


@dataclass(frozen=True)
class ContractTerm:
    """What the contract store knows of a contract's term (None when it was signed elsewhere)."""

    customer: str | None
    renewal_date: date | None
    notice_deadline: date | None
    term_end: date | None
    status: str | None = None  # Contract.renewal_status: notice due, missed, renewed, lapsed


def summary(
    report: pd.DataFrame, credits: pd.DataFrame, contract_id: str, term: ContractTerm, today: date
) -> dict:
    """One row of the side-by-side table (also shown on the Renewals page)."""
    r = report[report["contract_id"] == contract_id]
    c = credits[credits["contract_id"] == contract_id]
    days_left = (term.notice_deadline - today).days if term.notice_deadline else None
    return {
        "contract": contract_id,
        "customer": term.customer or "—",
        "months measured": int(r["month"].nunique()),
        "months with a missed target": int(r.loc[r["status"] == "missed", "month"].nunique()),
        "breached tickets": int(r["breached"].sum()),
        "credits": ", ".join(
            f"{a:,.2f} {cur}" for cur, a in c.groupby("currency")["amount"].sum().items()
        )
        or "0",
        "term ends": term.term_end.isoformat() if term.term_end else "open-ended",
        "renews": term.renewal_date.isoformat() if term.renewal_date else "—",
        "notice deadline": term.notice_deadline.isoformat()
        if term.notice_deadline
        else "not on file",
        "renewal": term.status
        or (
            "signed elsewhere: renewal terms not on file"
            if term.notice_deadline is None
            else f"{days_left} days to the notice deadline"
        ),
    }


def _months(report: pd.DataFrame) -> list[str]:
    return sorted(report["month"].unique())


def compliance_chart(report: pd.DataFrame, metric: str, width: float, height: float) -> Drawing:
    """Lines: % within target per tier by month; dashed lines at each tier's target."""
    r = report[report["metric"] == metric]
    months = _months(r)
    d = Drawing(width, height)
    d.add(
        String(
            0,
            height - 10,
            f"{metric.capitalize()}: % within target by month (dashed: target)",
            fontName="Helvetica-Bold",
            fontSize=9,
        )
    )
    lp = LinePlot()
    lp.x, lp.y, lp.width, lp.height = 30, 30, width - 120, height - 55
    data, names = [], []
    for sev, g in r.groupby("severity"):
        pts = [
            (months.index(m), float(v))
            for m, v in zip(g["month"], g["compliance_pct"], strict=False)
            if pd.notna(v)
        ]
        if pts:
            data.append(pts)
            names.append(str(sev))
    targets = r.groupby("severity")["target_pct"].first()
    for sev in names:
        data.append([(0, float(targets[sev])), (max(len(months) - 1, 1), float(targets[sev]))])
    if not data:
        d.add(String(30, height / 2, "no measured month", fontSize=9))
        return d
    lp.data = data
    for i in range(len(names)):
        lp.lines[i].strokeColor = TIER_COLOURS[i % len(TIER_COLOURS)]
        lp.lines[i].strokeWidth = 1.5
        lp.lines[len(names) + i].strokeColor = TIER_COLOURS[i % len(TIER_COLOURS)]
        lp.lines[len(names) + i].strokeDashArray = (3, 2)
        lp.lines[len(names) + i].strokeWidth = 0.8
    lo = min(min(v for _, v in s) for s in data)
    lp.yValueAxis.valueMin = max(0.0, (lo // 10) * 10)
    lp.yValueAxis.valueMax = 100
    lp.xValueAxis.valueMin, lp.xValueAxis.valueMax = 0, max(len(months) - 1, 1)
    step = max(1, len(months) // 8)
    lp.xValueAxis.valueSteps = list(range(0, len(months), step))
    lp.xValueAxis.labelTextFormat = lambda i: months[int(i)] if 0 <= int(i) < len(months) else ""
    lp.xValueAxis.labels.fontSize = 7
    lp.yValueAxis.labels.fontSize = 7
    lp.yValueAxis.labelTextFormat = "%d%%"
    d.add(lp)
    legend = Legend()
    legend.x, legend.y = width - 80, height - 30
    legend.fontSize = 8
    legend.colorNamePairs = [(TIER_COLOURS[i % len(TIER_COLOURS)], n) for i, n in enumerate(names)]
    d.add(legend)
    return d


def credits_chart(
    credits: pd.DataFrame, width: float, height: float, title: str | None = None
) -> Drawing:
    """Bars by month of `amount` (credits, or any monthly count given a title)."""
    d = Drawing(width, height)
    cur = ", ".join(sorted(credits["currency"].dropna().unique())) or ""
    d.add(
        String(
            0,
            height - 10,
            title or f"Service credits by month ({cur})".replace(" ()", ""),
            fontName="Helvetica-Bold",
            fontSize=9,
        )
    )
    by = credits.groupby("month")["amount"].sum().sort_index()
    if by.empty:
        d.add(String(30, height / 2, "no credits", fontSize=9))
        return d
    bc = VerticalBarChart()
    bc.x, bc.y, bc.width, bc.height = 40, 30, width - 60, height - 55
    bc.data = [[float(v) for v in by.values]]
    bc.bars[0].fillColor = colors.HexColor("#1f77b4")
    bc.categoryAxis.categoryNames = [
        m if i % max(1, len(by) // 8) == 0 else "" for i, m in enumerate(by.index)
    ]
    bc.categoryAxis.labels.fontSize = 7
    bc.valueAxis.labels.fontSize = 7
    bc.valueAxis.valueMin = 0
    d.add(bc)
    return d


def missed_table(report: pd.DataFrame) -> Table | Paragraph:
    m = report[report["status"] == "missed"].sort_values(["month", "severity", "metric"])
    if m.empty:
        return Paragraph("No tier missed its target in a measured month.", STYLES["cell"])
    rows = [["month", "tier", "metric", "compliance", "target", "breached / tickets"]] + [
        [
            r.month,
            r.severity,
            r.metric,
            f"{r.compliance_pct:.1f} %",
            f"{r.target_pct:.1f} %",
            f"{r.breached} / {r.tickets}",
        ]
        for r in m.itertuples()
    ]
    t = Table(rows, repeatRows=1)
    t.setStyle(GRID)
    return t


def _cell(text: object) -> Paragraph:
    return Paragraph(escape(str(text)), STYLES["cell"])


def negotiation_section(
    report: pd.DataFrame, credits: pd.DataFrame, sla_terms: list[Terms], cid: str, width: float
) -> list:
    """Whole-term compliance with its trend, credits against fees, volume, the worst months and
    the points to raise (flows/negotiation.py computes each)."""
    if report.empty:
        return []
    rows = negotiation.whole_term(report, sla_terms)
    table = Table(
        [["tier", "metric", "clock", "whole term", "target", "months missed", "trend"]]
        + [
            [
                r.tier,
                negotiation.METRIC_WORDS.get(r.metric, r.metric),
                r.clock,
                f"{r.compliance:.1f} %" if r.compliance is not None else "—",
                f"{r.target:.0f} %",
                f"{r.months_missed} of {r.months_measured}",
                r.trend,
            ]
            for r in rows
        ],
        repeatRows=1,
    )
    table.setStyle(GRID)
    shares = negotiation.credit_share(credits, negotiation.fees_paid(report, sla_terms))
    share_text = (
        "; ".join(
            f"{owed:,.2f} of {paid:,.2f} {cur} ({100 * owed / paid:.1f} %)" if paid else f"{cur}: —"
            for cur, owed, paid in shares
        )
        or "no monthly fee on file: the share cannot be computed"
    )
    worst = negotiation.worst_months(report, sla_terms)
    worst_table: Table | Paragraph
    if worst.empty:
        worst_table = _cell("No tier-metric-month below target.")
    else:
        worst_table = Table(
            [["month", "tier", "metric", "clock", "compliance", "target", "breached / tickets"]]
            + [
                [
                    w.month,
                    w.severity,
                    negotiation.METRIC_WORDS.get(w.metric, w.metric),
                    w.clock,
                    f"{w.compliance_pct:.1f} %",
                    f"{w.target_pct:.0f} %",
                    f"{w.breached} / {w.tickets}",
                ]
                for w in worst.itertuples()
            ],
            repeatRows=1,
        )
        worst_table.setStyle(GRID)
    vol = negotiation.volume(report)
    volume_chart = credits_chart(
        pd.DataFrame({"month": vol.index, "amount": vol.values, "currency": ""}),
        width,
        110,
        title="Tickets created per month",
    )
    return [
        PageBreak(),
        Paragraph(escape(f"{cid}: for the negotiation"), STYLES["h"]),
        Paragraph(
            "Whole-term compliance per tier (trend: first half of the term vs second)", STYLES["h"]
        ),
        table,
        Spacer(1, 6),
        _cell(f"Credits as a share of fees paid: {share_text}."),
        volume_chart,
        KeepTogether([Paragraph("The worst months", STYLES["h"]), worst_table]),
        Paragraph("Points to raise", STYLES["h"]),
        *[_cell(f"• {p}") for p in negotiation.points(report, credits, sla_terms, cid)],
    ]


def renewal_brief_pdf(
    report: pd.DataFrame,
    credits: pd.DataFrame,
    terms: dict[str, ContractTerm],
    as_of: str,
    today: date,
    sla_terms: list[Terms] | None = None,
) -> bytes:
    """`report`/`credits` as the SLA engine returns them, for the chosen contracts (keys of
    `terms`); `sla_terms` (the engine's terms versions) give fees and clocks to the negotiation
    pages."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title="Renewal brief",
        creator="Covenant",
    )
    width = landscape(A4)[0] - 28 * mm
    rows = [summary(report, credits, cid, t, today) for cid, t in terms.items()]
    head = list(rows[0].keys())
    side = Table(
        [head] + [[Paragraph(escape(str(r[k])), STYLES["cell"]) for k in head] for r in rows],
        repeatRows=1,
    )
    side.setStyle(GRID)
    story = [
        Paragraph("Renewal brief: " + escape(", ".join(terms)), STYLES["title"]),
        Paragraph(
            escape(
                f"SLA performance over the contract term, computed as of {as_of}. Compliance is "
                f"the "
                "share of tickets within target among those judged; months with fewer tickets than "
                "the contract's minimum are not measurable."
            ),
            STYLES["cell"],
        ),
        Spacer(1, 6),
        side,
    ]
    for cid in terms:
        r = report[report["contract_id"] == cid]
        c = credits[credits["contract_id"] == cid]
        story += [
            PageBreak(),
            Paragraph(escape(f"{cid}: performance by month"), STYLES["h"]),
            compliance_chart(r, "resolution", width, 150),
            compliance_chart(r, "response", width, 150),
            credits_chart(c, width, 120),
            KeepTogether([Paragraph("Months with a missed target", STYLES["h"]), missed_table(r)]),
        ]
        mine = [t for t in (sla_terms or []) if t.contract_id == cid]
        story += negotiation_section(r, c, mine, cid, width)
    doc.build(story)
    return buf.getvalue()
