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

from .terms import BandCredits, PerPointCredits, Terms


def status_of(row: pd.Series, min_tickets: int) -> str:
    """met / missed / not measurable / pending for one report row."""
    decided = int(row["met"]) + int(row["breached"])
    if int(row["tickets"]) < min_tickets:
        return "not measurable"
    if decided == 0:
        return "pending"
    return "met" if row["compliance_pct"] >= row["target_pct"] else "missed"


def credit_pct_for(compliance: float, target_pct: float, terms: Terms) -> tuple[float, str]:
    """Credit % for one tier-metric and the reason in words."""
    c = terms.credits
    if isinstance(c, BandCredits):
        hits = [b for b in c.bands if compliance < b.below_pct]
        if not hits:
            return 0.0, f"{compliance:.2f}% is not below any band"
        band = max(hits, key=lambda b: b.credit_pct)
        return (
            band.credit_pct,
            f"{compliance:.2f}% < {band.below_pct:g}% band: {band.credit_pct:g}%",
        )
    if isinstance(c, PerPointCredits):
        points = math.floor(round(target_pct - compliance, 9)) if compliance < target_pct else 0
        pct = points * c.credit_pct_per_point
        return (
            pct,
            f"{points} whole point(s) below {target_pct:g}% x {c.credit_pct_per_point:g}% = "
            f"{pct:g}%",
        )
    return 0.0, "no credit schedule"


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
                    f"{label}: not measurable ({int(r['tickets'])} < {c.min_tickets} tickets)"
                )
                continue
            if pd.isna(r["compliance_pct"]):
                continue
            pct, why = credit_pct_for(float(r["compliance_pct"]), float(r["target_pct"]), terms)
            if pct > 0:
                parts.append(pct)
                reasons.append(f"{label}: {why}")
        raw = (max(parts) if c.combine == "max" else sum(parts)) if parts else 0.0
        capped = raw > c.cap_pct
        pct = min(raw, c.cap_pct)
        if capped:
            reasons.append(f"capped at {c.cap_pct:g}% (uncapped {raw:g}%)")
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
                "reason": "; ".join(reasons) if reasons else "all measured tiers met their targets",
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
