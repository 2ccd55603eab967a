"""Overview: this month at a glance for every role."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from contracts.repository import UnitOfWork
from ui.auth import require
from ui.resources import engine, generation, hourly_as_of, monthly_credits, monthly_report

require("support_manager", "vendor_manager", "finance", "legal")
st.title("Overview")

gen = generation()
if gen is None:
    st.info("No tickets yet: an administrator or support manager ingests a help-desk export "
            "(`python -m sla_engine ingest FILE --profile NAME --contract ID`).")
else:
    rep = monthly_report(gen, hourly_as_of())
    latest = rep["month"].max()
    st.subheader(f"Compliance in {latest}")
    now = rep[rep["month"] == latest]
    c1, c2, c3 = st.columns(3)
    c1.metric("Tier-metrics missing target", int((now["status"] == "missed").sum()))
    c2.metric("Open tickets already breached", int(now["breached"].sum()))
    credits = monthly_credits(gen, hourly_as_of())
    owed = credits[credits["month"] == latest]
    c3.metric("Credits owed this month", ", ".join(f"{a:,.2f} {c}" for c, a in owed.groupby("currency")["amount"].sum().items()) or "0")
    table = now.pivot_table(index=["contract_id", "severity"], columns="metric", values="compliance_pct").reset_index()
    st.dataframe(table, hide_index=True, column_config={
        "response": st.column_config.NumberColumn("response %", format="%.1f %%"),
        "resolution": st.column_config.NumberColumn("resolution %", format="%.1f %%")})

st.subheader("Contracts")
with UnitOfWork(engine()) as uow:
    contracts = uow.repo.list_contracts()
    waiting = [e for c in contracts for e in uow.envelopes.for_contract(c.id) if e.status == "sent"]
if not contracts:
    st.info("No contracts yet: legal creates one from a template (`python -m contracts contract create ...`).")
else:
    today = pd.Timestamp.now(tz="UTC").date()
    rows = [{"contract": c.id, "customer": c.typed.party("customer").name, "state": c.state,
             "renews": c.renewal_date(), "notice deadline": c.notice_deadline()} for c in contracts]
    soon = [r for r in rows if 0 <= (r["notice deadline"] - today).days <= 90]
    st.metric("Envelopes awaiting signature", len(waiting))
    st.caption("Notice deadlines in the next 90 days")
    st.dataframe(pd.DataFrame(soon or rows[:0]), hide_index=True)
