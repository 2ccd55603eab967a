"""Renewals (vendor managers): performance over each contract's term, side by side, before the
notice deadline."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from flows.negotiation import points
from flows.renewal_brief import ContractTerm, summary
from ui.auth import require
from ui.resources import (
    generation_or_stop,
    hourly_as_of,
    monthly_credits,
    monthly_report,
    renewal_brief,
    store,
    unit_of_work,
)
from ui.text import plain

require("renewals")
st.title("Renewals")
gen = generation_or_stop(
    "No tickets yet: performance appears here once exports are ingested (Ingest page)."
)
as_of = hourly_as_of()
rep = monthly_report(gen, as_of)
cr = monthly_credits(gen, as_of)
term_ends: dict[
    str, object
] = {}  # last day of the latest terms version with an end date, per contract
for t in store().terms():
    if t.effective_to and (
        t.contract_id not in term_ends or t.effective_to > term_ends[t.contract_id]
    ):
        term_ends[t.contract_id] = t.effective_to
with (
    unit_of_work() as uow
):  # contracts Covenant holds: renewal date and notice deadline from the signed terms
    held = {c.id: c for c in uow.repo.list_contracts()}


def term_of(cid: str) -> ContractTerm:
    c = held.get(cid)
    if c is None:
        return ContractTerm(None, None, None, term_ends.get(cid))
    return ContractTerm(
        c.typed.party("customer").name,
        c.renewal_date(),
        c.notice_deadline(),
        c.typed.end_date,
        c.renewal_status(pd.Timestamp.now(tz="UTC").date()),
    )


options = sorted(rep["contract_id"].unique())
chosen = st.multiselect("Contracts side by side", options, default=options[:2], key="contracts")
if not chosen:
    st.info("Choose one or more contracts to compare.")
    st.stop()
today = pd.Timestamp.now(tz="UTC").date()
terms = {cid: term_of(cid) for cid in chosen}
st.dataframe(
    pd.DataFrame([summary(rep, cr, cid, terms[cid], today) for cid in chosen]),
    hide_index=True,
    key="summary",
)
st.download_button(
    "Renewal brief (PDF)",
    renewal_brief(gen, as_of, tuple(terms.items()), today),
    f"renewal-brief-{'-'.join(chosen)}.pdf",
    "application/pdf",
    key="brief",
)
sla_terms = store().terms()
for cid in chosen:
    said = points(
        rep[rep["contract_id"] == cid],
        cr[cr["contract_id"] == cid],
        [t for t in sla_terms if t.contract_id == cid],
        cid,
    )
    if said:
        with st.expander(f"Points to raise for {plain(cid)}", expanded=len(chosen) == 1):
            st.markdown("\n".join(f"- {plain(p)}" for p in said))
metric = st.radio("Metric", ["resolution", "response"], horizontal=True, key="metric")
trend = rep[rep["contract_id"].isin(chosen) & (rep["metric"] == metric)]
fig = px.line(
    trend,
    x="month",
    y="compliance_pct",
    color="severity",
    facet_col="contract_id",
    markers=True,
    labels={
        "compliance_pct": "% within target",
        "month": "",
        "severity": "Tier",
        "contract_id": "Contract",
    },
    title=f"{metric.capitalize()} compliance by tier",
)
fig.update_yaxes(range=[0, 100], ticksuffix=" %")
st.plotly_chart(fig, key="trend")
st.caption("Credits by month (amount in the contract's currency)")
st.bar_chart(
    cr[cr["contract_id"].isin(chosen)]
    .pivot_table(index="month", columns="contract_id", values="amount", aggfunc="sum")
    .fillna(0)
)
missed = rep[rep["contract_id"].isin(chosen) & (rep["status"] == "missed")]
st.caption(f"{len(missed)} tier-metric-months below target")
st.dataframe(
    missed[
        [
            "contract_id",
            "month",
            "severity",
            "metric",
            "compliance_pct",
            "target_pct",
            "breached",
            "tickets",
        ]
    ],
    hide_index=True,
    key="missed",
    column_config={
        "contract_id": st.column_config.TextColumn("Contract"),
        "month": st.column_config.TextColumn("Month"),
        "severity": st.column_config.TextColumn("Tier"),
        "metric": st.column_config.TextColumn("Metric"),
        "compliance_pct": st.column_config.NumberColumn("Compliance", format="%.1f %%"),
        "target_pct": st.column_config.NumberColumn("Target", format="%.1f %%"),
        "breached": st.column_config.NumberColumn("Breached", format="%d"),
        "tickets": st.column_config.NumberColumn("Tickets", format="%d"),
    },
)
