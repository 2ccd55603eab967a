"""Renewals (vendor managers): performance over each contract's term, side by side, before the notice deadline."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from ui.auth import require
from ui.resources import generation, hourly_as_of, monthly_credits, monthly_report, store

require("vendor_manager")
st.title("Renewals")
gen = generation()
if gen is None:
    st.info("No tickets yet: performance appears here once exports are ingested.")
    st.stop()
rep = monthly_report(gen, hourly_as_of())
cr = monthly_credits(gen, hourly_as_of())
term_ends: dict[str, object] = {}  # last day of the latest version with an end date, per contract
for t in store().terms():
    if t.effective_to and (t.contract_id not in term_ends or t.effective_to > term_ends[t.contract_id]):
        term_ends[t.contract_id] = t.effective_to
chosen = st.multiselect("Contracts side by side", sorted(rep["contract_id"].unique()),
                        default=sorted(rep["contract_id"].unique())[:2], key="contracts")
if not chosen:
    st.stop()
rows = []
for cid in chosen:
    r = rep[rep["contract_id"] == cid]
    c = cr[cr["contract_id"] == cid]
    last = term_ends.get(cid)
    rows.append({"contract": cid, "months measured": r["month"].nunique(),
                 "months with a missed target": r[r["status"] == "missed"]["month"].nunique(),
                 "breached tickets": int(r["breached"].sum()),
                 "credits": ", ".join(f"{a:,.2f} {cur}" for cur, a in c.groupby("currency")["amount"].sum().items()),
                 "term ends": last.isoformat() if last else "open-ended"})
st.dataframe(pd.DataFrame(rows), hide_index=True, key="summary")
metric = st.radio("Metric", ["resolution", "response"], horizontal=True, key="metric")
trend = rep[rep["contract_id"].isin(chosen) & (rep["metric"] == metric)]
fig = px.line(trend, x="month", y="compliance_pct", color="severity", facet_col="contract_id", markers=True,
              labels={"compliance_pct": "% within target", "month": ""}, title=f"{metric.capitalize()} compliance by tier")
fig.update_yaxes(range=[0, 100])
st.plotly_chart(fig, key="trend")
st.caption("Credits by month")
st.bar_chart(cr[cr["contract_id"].isin(chosen)].pivot_table(index="month", columns="contract_id", values="amount",
                                                             aggfunc="sum").fillna(0))
