"""Credits (finance): service credits per contract and month, with the reason; exports."""

from __future__ import annotations

import streamlit as st

from flows.closing import close_month, with_closed
from sla_engine.exports import csv_bytes, xlsx_bytes
from ui.auth import require
from ui.errors import shown_errors
from ui.resources import generation_or_stop, hourly_as_of, monthly_credits, unit_of_work

require("credits")
st.title("Service credits")
gen = generation_or_stop("No tickets yet, so no credits to compute.")
cr = with_closed(unit_of_work(), monthly_credits(gen, hourly_as_of()))
contract = st.selectbox("Contract", ["All"] + sorted(cr["contract_id"].unique()), key="contract")
view = cr if contract == "All" else cr[cr["contract_id"] == contract]
st.metric(
    "Credits in view",
    ", ".join(f"{a:,.2f} {c}" for c, a in view.groupby("currency")["amount"].sum().items()),
)
st.dataframe(
    view,
    hide_index=True,
    key="credits",
    column_config={
        "credit_pct": st.column_config.NumberColumn("credit %", format="%.2f %%"),
        "amount": st.column_config.NumberColumn("amount", format="%.2f"),
    },
)
c1, c2 = st.columns(2)
c1.download_button("Credits (CSV)", csv_bytes(view), "credits.csv", "text/csv", key="csv")
c2.download_button(
    "Credits (XLSX)",
    xlsx_bytes({"credits": view}),
    "credits.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="xlsx",
)

changed = view[(view["closed_by"].notna()) & (view["difference"] != 0)]
if len(changed):
    st.warning(
        f"{len(changed)} closed month(s) would come out differently with today's data (see "
        f"'difference'); "
        "their approved figures stay as closed."
    )
st.subheader("Close a month")
open_rows = view[view["closed_by"].isna()]
if len(open_rows):
    label = st.selectbox(
        "Contract-month",
        [f"{r.contract_id} {r.month}" for r in open_rows.itertuples()],
        key="close_pick",
    )
    if st.button("Approve and close", key="close"):
        cid, month = label.split(" ")
        row = (
            open_rows[(open_rows["contract_id"] == cid) & (open_rows["month"] == month)]
            .iloc[0]
            .to_dict()
        )
        with shown_errors():
            close_month(unit_of_work(), row, st.session_state.get("username") or "finance")
            st.success(f"Closed {label}: figures frozen, approval recorded in the audit trail.")
            st.rerun()
