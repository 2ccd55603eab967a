"""Overview: this month at a glance for every role."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from contracts.domain.lifecycle import EnvelopeState
from ui.auth import require
from ui.resources import generation, hourly_as_of, monthly_credits, monthly_report, unit_of_work
from ui.text import plain

OVERVIEW_COLUMNS = {
    "Contract": st.column_config.TextColumn("Contract"),
    "Tier": st.column_config.TextColumn("Tier"),
    "First response": st.column_config.TextColumn("First response", help="% within target"),
    "Response target": st.column_config.NumberColumn("Response target", format="%.1f %%"),
    "Resolution": st.column_config.TextColumn("Resolution", help="% within target"),
    "Resolution target": st.column_config.NumberColumn("Resolution target", format="%.1f %%"),
    "Trend": st.column_config.LineChartColumn("Trend (12 months)", y_min=0, y_max=100),
    "Open": st.column_config.LinkColumn("Open", display_text="Compliance ›"),
}


def _figure(row: pd.Series | None) -> str:
    """A compliance figure with its verdict: '97.5 %', '▼ 88.0 %', or why there is none."""
    if row is None or pd.isna(row["compliance_pct"]):
        return "no tickets" if row is None else "not measurable"
    mark = "▼ " if row["status"] == "missed" else ""
    return f"{mark}{row['compliance_pct']:.1f} %"


def overview_table(rep: pd.DataFrame, month: str) -> pd.DataFrame:
    """One row per contract and tier of `month`: both metrics against their own targets, a
    year's trend, and the link to the Compliance view behind the figures."""
    rows = []
    now = rep[rep["month"] == month]
    for (cid, tier), g in now.groupby(["contract_id", "severity"], sort=True):
        by = {r["metric"]: r for _, r in g.iterrows()}
        hist = rep[
            (rep["contract_id"] == cid)
            & (rep["severity"] == tier)
            & (rep["metric"] == "resolution")
            & (rep["month"] <= month)
        ].sort_values("month")
        rows.append(
            {
                "Contract": cid,
                "Tier": tier,
                "First response": _figure(by.get("response")),
                "Response target": by["response"]["target_pct"] if "response" in by else None,
                "Resolution": _figure(by.get("resolution")),
                "Resolution target": by["resolution"]["target_pct"] if "resolution" in by else None,
                "Trend": hist["compliance_pct"].tail(12).fillna(0).round(1).tolist(),
                "Open": "/compliance?"
                + urlencode(
                    {"contract": cid, "tier": tier, "metric": "resolution", "month": month}
                ),
            }
        )
    return pd.DataFrame(rows)


require("overview")
st.title("Overview")

gen = generation()
if gen is None:
    st.info(
        "No tickets yet: an administrator or support manager ingests a help-desk export "
        "(`python -m sla_engine ingest FILE --profile NAME --contract ID`)."
    )
else:
    rep = monthly_report(gen, hourly_as_of())
    months = sorted(rep["month"].unique(), reverse=True)
    this_month = pd.Timestamp.now(tz="UTC").strftime("%Y-%m")
    complete = [m for m in months if m < this_month]
    default = complete[0] if complete else months[0]
    latest = st.selectbox(
        "Month",
        months,
        index=months.index(default),
        key="overview_month",
        help="Defaults to the latest complete month that has tickets",
    )
    n_contracts = rep["contract_id"].nunique()
    why = (
        f"the latest complete month with tickets (the newest tickets are from {months[0]}"
        + (f"; {this_month} has none yet" if months[0] < this_month else "")
        + ")"
        if latest == default
        else "the month you chose"
    )
    st.markdown(
        f"Covenant measures **{n_contracts}** contract(s) from {months[-1]} to {months[0]}. "
        f"Shown: **{latest}**, {why}. Each figure below links to the Compliance view behind it."
    )
    now = rep[rep["month"] == latest]
    credits = monthly_credits(gen, hourly_as_of())
    owed = credits[credits["month"] == latest].groupby("currency")["amount"].sum()
    cols = st.columns(2 + max(1, len(owed)))
    cols[0].metric("Tier-metrics below target", int((now["status"] == "missed").sum()))
    cols[1].metric(
        "Breached tickets", int(now["breached"].sum()), help="responses or resolutions over target"
    )
    for col, (cur, amount) in zip(cols[2:], owed.items(), strict=False):
        col.metric(f"Credits owed ({plain(cur)})", f"{amount:,.2f}")
    st.dataframe(
        overview_table(rep, latest),
        hide_index=True,
        key="month_table",
        column_config=OVERVIEW_COLUMNS,
    )
    st.caption("▼ below target · trend: the last 12 months' resolution compliance, %")

st.subheader("Contracts")
with unit_of_work() as uow:
    contracts = uow.repo.list_contracts()
    waiting = [
        e
        for c in contracts
        for e in uow.envelopes.for_contract(c.id)
        if e.status == EnvelopeState.SENT
    ]
if not contracts:
    st.info(
        "No contracts yet: legal creates one from a template (`python -m contracts contract create "
        "...`)."
    )
else:
    today = pd.Timestamp.now(tz="UTC").date()
    rows = [
        {
            "contract": c.id,
            "customer": c.typed.party("customer").name,
            "state": c.state,
            "renews": c.renewal_date(),
            "notice deadline": c.notice_deadline(),
        }
        for c in contracts
    ]
    soon = [r for r in rows if 0 <= (r["notice deadline"] - today).days <= 90]
    st.metric("Envelopes awaiting signature", len(waiting))
    st.caption("Renewals: notice deadlines in the next 90 days")
    if soon:
        st.dataframe(pd.DataFrame(soon), hide_index=True, key="renewals")
    else:
        st.info("No notice deadline in the next 90 days.")
