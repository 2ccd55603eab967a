"""Overview: this month at a glance for every role."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from contracts.domain.lifecycle import EnvelopeState
from ui.auth import require
from ui.resources import generation, hourly_as_of, monthly_credits, monthly_report, unit_of_work
from ui.text import plain

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
    latest = rep["month"].max()
    st.subheader(f"Compliance in {latest}")
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
    table = now.pivot_table(
        index=["contract_id", "severity"],
        columns="metric",
        values="compliance_pct",
        aggfunc="first",
    ).reset_index()
    table.columns = [str(c) for c in table.columns]
    targets = (
        now.groupby(["contract_id", "severity"])["target_pct"].first().reset_index(name="target")
    )
    table = table.merge(targets, on=["contract_id", "severity"])
    st.dataframe(
        table,
        hide_index=True,
        key="month_table",
        column_config={
            "response": st.column_config.NumberColumn("response %", format="%.1f"),
            "resolution": st.column_config.NumberColumn("resolution %", format="%.1f"),
            "target": st.column_config.NumberColumn("target %", format="%.1f"),
        },
    )

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
