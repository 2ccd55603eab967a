"""Credits (finance): service credits per contract and month, with the reason; exports."""
from __future__ import annotations

import io

import streamlit as st

from ui.auth import require
from ui.resources import generation, hourly_as_of, monthly_credits

require("finance")
st.title("Service credits")
gen = generation()
if gen is None:
    st.info("No tickets yet, so no credits to compute.")
    st.stop()
cr = monthly_credits(gen, hourly_as_of())
contract = st.selectbox("Contract", ["All"] + sorted(cr["contract_id"].unique()), key="contract")
view = cr if contract == "All" else cr[cr["contract_id"] == contract]
st.metric("Credits in view", ", ".join(f"{a:,.2f} {c}" for c, a in view.groupby("currency")["amount"].sum().items()))
st.dataframe(view, hide_index=True, key="credits", column_config={
    "credit_pct": st.column_config.NumberColumn("credit %", format="%.2f %%"),
    "amount": st.column_config.NumberColumn("amount", format="%.2f")})
xlsx = io.BytesIO()
view.to_excel(xlsx, index=False, sheet_name="credits")
c1, c2 = st.columns(2)
c1.download_button("Credits (CSV)", view.to_csv(index=False).encode(), "credits.csv", "text/csv", key="csv")
c2.download_button("Credits (XLSX)", xlsx.getvalue(), "credits.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="xlsx")
