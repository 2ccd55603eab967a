"""What a negotiator takes into a renewal, derived from the measured figures only: whole-term
compliance per tier and metric with its trend, credits as a share of the fees paid, ticket volume
over time, the worst months with their tier and clock, and the points those facts support.

Every number comes from the SLA engine's monthly report and credits (and the terms' fees and
clocks); nothing is estimated. A point is raised only when the data shows it, with the figures
that show it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sla_engine.rulebook.terms import Terms

METRIC_WORDS = {"response": "first response", "resolution": "resolution"}
TREND_POINTS = 2.0  # a change of at least this many percentage points is a trend
VOLUME_CHANGE = 0.2  # ticket volume that moved by at least this share is worth raising


@dataclass(frozen=True)
class TierTerm:
    """One tier and metric over the whole term."""

    tier: str
    metric: str
    clock: str
    tickets: int
    met: int
    breached: int
    compliance: float | None  # % within target among judged tickets, whole term
    target: float
    first_half: float | None
    second_half: float | None
    months_measured: int
    months_missed: int

    @property
    def trend(self) -> str:
        if self.first_half is None or self.second_half is None:
            return "—"
        delta = self.second_half - self.first_half
        if delta >= TREND_POINTS:
            return f"improving (+{delta:.1f} pts)"
        if delta <= -TREND_POINTS:
            return f"declining ({delta:.1f} pts)"
        return "steady"


def _pct(met: int, breached: int) -> float | None:
    judged = met + breached
    return 100.0 * met / judged if judged else None


def _clocks(terms: list[Terms]) -> dict[tuple[str, str], str]:
    return {
        (t.terms_id, tier): "business hours" if spec.clock == "business" else "24x7"
        for t in terms
        for tier, spec in t.tiers.items()
    }


def whole_term(report: pd.DataFrame, terms: list[Terms]) -> list[TierTerm]:
    """Per tier and metric: the term's compliance, its first-half/second-half trend, and how many
    measured months missed the target."""
    clocks = _clocks(terms)
    months = sorted(report["month"].unique())
    half = months[len(months) // 2] if months else ""
    out = []
    for (tier, metric), g in report.groupby(["severity", "metric"], sort=True):
        early, late = g[g["month"] < half], g[g["month"] >= half]
        latest_terms = g.sort_values("month")["terms_id"].iloc[-1]
        out.append(
            TierTerm(
                tier=str(tier),
                metric=str(metric),
                clock=clocks.get((latest_terms, str(tier)), "—"),
                tickets=int(g["tickets"].sum()),
                met=int(g["met"].sum()),
                breached=int(g["breached"].sum()),
                compliance=_pct(int(g["met"].sum()), int(g["breached"].sum())),
                target=float(g["target_pct"].iloc[-1]),
                first_half=_pct(int(early["met"].sum()), int(early["breached"].sum())),
                second_half=_pct(int(late["met"].sum()), int(late["breached"].sum())),
                months_measured=int(g["status"].isin(["met", "missed"]).sum()),
                months_missed=int((g["status"] == "missed").sum()),
            )
        )
    return out


def fees_paid(report: pd.DataFrame, terms: list[Terms]) -> dict[str, float]:
    """The monthly fee of the terms in force, summed over the measured months, per currency."""
    fee = {t.terms_id: (t.monthly_fee, t.currency) for t in terms}
    paid: dict[str, float] = {}
    for _, tid in report.groupby("month")["terms_id"].first().items():
        amount, currency = fee.get(tid, (0.0, ""))
        if amount:
            paid[currency] = paid.get(currency, 0.0) + amount
    return paid


def credit_share(credits: pd.DataFrame, paid: dict[str, float]) -> list[tuple[str, float, float]]:
    """(currency, credits, fees paid) per currency."""
    owed = credits.groupby("currency")["amount"].sum() if len(credits) else pd.Series(dtype=float)
    return [(cur, float(owed.get(cur, 0.0)), total) for cur, total in sorted(paid.items())]


def volume(report: pd.DataFrame) -> pd.Series:
    """Tickets created per month (each ticket counted once: the resolution rows)."""
    r = report[report["metric"] == "resolution"]
    return r.groupby("month")["tickets"].sum().sort_index()


def worst_months(report: pd.DataFrame, terms: list[Terms], n: int = 5) -> pd.DataFrame:
    """The n tier-metric-months furthest below target, with the tier's clock."""
    clocks = _clocks(terms)
    m = report[report["status"] == "missed"].copy()
    if m.empty:
        return m
    m["gap"] = m["target_pct"] - m["compliance_pct"]
    m["clock"] = [
        clocks.get((t, s), "—") for t, s in zip(m["terms_id"], m["severity"], strict=True)
    ]
    return m.sort_values(["gap", "breached"], ascending=[False, False]).head(n)


def points(
    report: pd.DataFrame, credits: pd.DataFrame, terms: list[Terms], contract_id: str
) -> list[str]:
    """The points to raise, each with the figures behind it (an empty report raises none)."""
    if report.empty:
        return []
    out: list[str] = []
    rows = whole_term(report, terms)
    for r in rows:
        what = f"{r.tier} {METRIC_WORDS.get(r.metric, r.metric)} ({r.clock})"
        if r.months_missed >= 3 or (r.compliance is not None and r.compliance < r.target):
            whole = f"{r.compliance:.1f} %" if r.compliance is not None else "not measurable"
            out.append(
                f"{what} missed its {r.target:.0f} % target in {r.months_missed} of "
                f"{r.months_measured} measured months (whole term {whole}, {r.breached} breached "
                f"tickets): ask for a remediation plan, or a stronger credit band for {r.tier}."
            )
        if r.trend.startswith("declining"):
            out.append(
                f"{what} fell from {r.first_half:.1f} % in the first half of the term to "
                f"{r.second_half:.1f} % in the second: ask what changed before renewing."
            )
    for cur, owed, paid in credit_share(credits, fees_paid(report, terms)):
        share = 100.0 * owed / paid if paid else 0.0
        out.append(
            f"Credits came to {owed:,.2f} {cur}, {share:.1f} % of the {paid:,.2f} {cur} of fees "
            "paid over the measured months."
        )
    capped = int(credits["capped"].fillna(False).astype(bool).sum()) if len(credits) else 0
    if capped:
        out.append(
            f"The credit cap bound in {capped} month(s): the customer received less than the "
            "bands gave; negotiate a higher cap."
        )
    vol = volume(report)
    if len(vol) >= 6 and vol.head(3).mean() > 0:
        change = vol.tail(3).mean() / vol.head(3).mean() - 1
        if abs(change) >= VOLUME_CHANGE:
            word = "rose" if change > 0 else "fell"
            out.append(
                f"Ticket volume {word} {abs(change) * 100:.0f} % (first three months "
                f"{vol.head(3).mean():.0f}/month, last three {vol.tail(3).mean():.0f}/month): "
                "revisit the fee and staffing assumptions."
            )
    if not any("missed its" in p for p in out):
        missed = sum(r.months_missed for r in rows)
        out.insert(
            0,
            f"{contract_id}: every tier met its target over the whole term, with "
            f"{missed} tier-metric-month(s) below target along the way: a case for renewal on "
            "the same terms.",
        )
    return out
