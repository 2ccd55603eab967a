"""Service credits per contract-month from the monthly compliance report.

How tiers combine: every measurable (tier, metric) pair earns a credit % from
the schedule; the month's credit is the largest of them (`combine: max`, the
default) or their sum (`combine: sum`), then capped at `cap_pct` of the fee.
Max is the default because one incident usually breaches several measures at
once (its response and its resolution, or a P1 that was downgraded): summing
would pay for the same failure more than once.
"""

from __future__ import annotations

import math

import pandas as pd

from sla_engine.rulebook.terms import BandCredits, PerPointCredits, Terms


def status_of(row: pd.Series, min_tickets: int) -> str:
    """met / missed / not measurable / pending for one report row."""
    decided = int(row["met"]) + int(row["breached"])
    if int(row["tickets"]) < min_tickets:
        return "not measurable"
    if decided == 0:
        return "pending"
    return "met" if row["compliance_pct"] >= row["target_pct"] else "missed"


def _bands_rule(c: BandCredits) -> str:
    """The contract's band schedule, quoted."""
    return "; ".join(
        f"below {b.below_pct:g}%: {b.credit_pct:g}%"
        for b in sorted(c.bands, key=lambda b: -b.below_pct)
    )


def credit_pct_for(
    compliance: float, target_pct: float, terms: Terms, label: str = "this measure"
) -> tuple[float, str]:
    """Credit % for one tier-metric and the reason as a sentence a finance reader can check."""
    c = terms.credits
    if isinstance(c, BandCredits):
        hits = [b for b in c.bands if compliance < b.below_pct]
        rule = f"the contract's credit bands ({_bands_rule(c)}) are set apart from the tier "
        rule += f"targets; {label}'s target is {target_pct:g}%"
        if not hits:
            return 0.0, f"{label}: {compliance:.2f}% is not below any credit band ({rule})."
        band = max(hits, key=lambda b: b.credit_pct)
        return (
            band.credit_pct,
            f"{label}: {compliance:.2f}% is below the {band.below_pct:g}% band, which earns "
            f"{band.credit_pct:g}% ({rule}).",
        )
    if isinstance(c, PerPointCredits):
        points = math.floor(round(target_pct - compliance, 9)) if compliance < target_pct else 0
        pct = points * c.credit_pct_per_point
        return (
            pct,
            f"{label}: {compliance:.2f}% is {points} whole point(s) below its {target_pct:g}% "
            f"target; at {c.credit_pct_per_point:g}% per point that is {pct:g}%.",
        )
    return 0.0, f"{label}: the contract has no credit schedule."


def with_status(report: pd.DataFrame, terms_by_id: dict[str, Terms]) -> pd.DataFrame:
    """Add the `status` column (needs each version's min_tickets)."""
    out = report.copy()
    out["status"] = (
        [status_of(r, terms_by_id[r["terms_id"]].credits.min_tickets) for _, r in out.iterrows()]
        if len(out)
        else pd.Series(dtype="string")
    )
    return out


def monthly_credits(report: pd.DataFrame, terms_by_id: dict[str, Terms]) -> pd.DataFrame:
    """One row per contract-month: compliance per tier, credit %, amount, capped, why."""
    rows = []
    rep = with_status(report, terms_by_id)
    for (cid, tid, month), grp in rep.groupby(["contract_id", "terms_id", "month"], sort=True):
        terms = terms_by_id[tid]
        c = terms.credits
        parts, reasons, per_tier = [], [], []
        for _, r in grp.iterrows():
            label = f"{r['severity']} {r['metric']}"
            comp = "n/a" if pd.isna(r["compliance_pct"]) else f"{r['compliance_pct']:.2f}%"
            per_tier.append(f"{label} {comp} ({int(r['tickets'])} tickets)")
            if r["metric"] not in c.metrics:
                continue
            if r["status"] == "not measurable":
                reasons.append(
                    f"{label} is not measurable this month: {int(r['tickets'])} tickets, fewer "
                    f"than the {c.min_tickets} the contract requires."
                )
                continue
            if pd.isna(r["compliance_pct"]):
                continue
            pct, why = credit_pct_for(
                float(r["compliance_pct"]), float(r["target_pct"]), terms, label
            )
            if pct > 0:
                parts.append(pct)
                reasons.append(why)
        raw = (max(parts) if c.combine == "max" else sum(parts)) if parts else 0.0
        if len(parts) > 1:
            reasons.append(
                f"The month's credit is the largest of these ({raw:g}%): the contract combines "
                "measures by their maximum."
                if c.combine == "max"
                else f"The month's credit is their sum ({raw:g}%), as the contract says."
            )
        capped = raw > c.cap_pct
        pct = min(raw, c.cap_pct)
        if capped:
            reasons.append(
                f"The contract caps credits at {c.cap_pct:g}% of the monthly fee (uncapped "
                f"{raw:g}%)."
            )
        rows.append(
            {
                "contract_id": cid,
                "terms_id": tid,
                "month": month,
                "compliance": "; ".join(per_tier),
                "credit_pct": round(pct, 4),
                "amount": round(terms.monthly_fee * pct / 100.0, 2),
                "currency": terms.currency,
                "capped": capped,
                "reason": " ".join(reasons)
                if reasons
                else "Every measured tier met its target: no credit.",
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "contract_id",
            "terms_id",
            "month",
            "compliance",
            "credit_pct",
            "amount",
            "currency",
            "capped",
            "reason",
        ],
    )
