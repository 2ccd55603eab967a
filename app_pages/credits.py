"""Credits (finance): service credits per contract and month, read like an invoice: a period and
contract filter, each credit explained in sentences, closing and reopening a month (audited), and
a typed workbook."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from flows.closing import close_month, reopen_month, with_closed
from sla_engine.reports.credit_invoice import credits_workbook
from sla_engine.reports.exports import csv_bytes
from ui.auth import require
from ui.errors import shown_errors
from ui.resources import generation_or_stop, hourly_as_of, monthly_credits, unit_of_work
from ui.text import plain

require("credits")
st.title("Service credits")
gen = generation_or_stop("No tickets yet, so no credits to compute.")
actor = st.session_state.get("username") or "finance"
cr = with_closed(unit_of_work(), monthly_credits(gen, hourly_as_of()))
notice = st.session_state.get("credits_notice")
if notice:  # the outcome of the last close or reopen stays until the next one
    st.success(plain(notice))


def _show_months(cid: str, first: str, last: str) -> None:
    """Before the next run: the filters show that contract's own months."""
    st.session_state["period"] = (first, last)
    st.session_state["contract"] = cid


c1, c2 = st.columns([1, 2])
contract = c1.selectbox("Contract", ["All"] + sorted(cr["contract_id"].unique()), key="contract")
months = sorted(cr["month"].unique())
m0, m1 = c2.select_slider(
    "Period", options=months, value=(months[max(0, len(months) - 12)], months[-1]), key="period"
)
view = cr[(cr["month"] >= m0) & (cr["month"] <= m1)]
if contract != "All":
    view = view[view["contract_id"] == contract]
period = m0 if m0 == m1 else f"{m0} to {m1}"
# a contract with nothing in the period says why, and offers the months it has
active = cr.groupby("contract_id")["month"].agg(["min", "max"])
quiet = [
    cid
    for cid in (active.index if contract == "All" else [contract])
    if cid not in set(view["contract_id"])
]
for cid in quiet:
    first, last = active.loc[cid, "min"], active.loc[cid, "max"]
    st.info(
        f"{plain(cid)} has no months in {period}: its measured months run from {first} to {last}."
    )
    st.button(
        f"Show {plain(cid)}'s months ({first} to {last})",
        key=f"period_of:{cid}",
        on_click=_show_months,
        args=(cid, first, last),
    )
totals = view.groupby("currency")["amount"].sum()
st.metric(
    f"Credits in view ({period})",
    ", ".join(f"{a:,.2f} {c}" for c, a in totals.items()) or "none",
)
shown = view.assign(
    status=[
        f"closed by {b} at {t}" if pd.notna(b) and b else "open"
        for b, t in zip(view["closed_by"], view["closed_at"], strict=False)
    ]
)[["contract_id", "month", "credit_pct", "amount", "currency", "capped", "status", "reason"]]
st.dataframe(
    shown,
    hide_index=True,
    key="credits",
    column_config={
        "contract_id": st.column_config.TextColumn("Contract"),
        "month": st.column_config.TextColumn("Month"),
        "credit_pct": st.column_config.NumberColumn("Credit (% of fee)", format="%.2f %%"),
        "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
        "currency": st.column_config.TextColumn("Currency"),
        "capped": st.column_config.CheckboxColumn("Capped"),
        "status": st.column_config.TextColumn("Status"),
        "reason": st.column_config.TextColumn("Why", width="large"),
    },
)
d1, d2 = st.columns(2)
d1.download_button("Credits (CSV)", csv_bytes(view), "credits.csv", "text/csv", key="csv")
d2.download_button(
    "Credits (XLSX)",
    credits_workbook(view, period),
    f"credits-{m0}-{m1}.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="xlsx",
)
months = [(str(r.contract_id), str(r.month)) for r in view.itertuples()]
if months:
    cid, month = st.selectbox(
        "Explain a month",
        list(reversed(months)),
        format_func=lambda pair: f"{pair[0]} {pair[1]}",
        key="explain",
    )
    row = view[(view["contract_id"] == cid) & (view["month"] == month)].iloc[0]
    st.markdown(f"**{plain(cid)} {month}: {row['amount']:,.2f} {plain(row['currency'])}**")
    for sentence in str(row["reason"]).split(". "):
        st.markdown("- " + plain(sentence.rstrip(".") + "."))

changed = view[(view["closed_by"].notna()) & (view["difference"] != 0)]
if len(changed):
    st.warning(
        f"{len(changed)} closed month(s) would come out differently with today's data (see "
        "'difference' in the workbook); their approved figures stay as closed until reopened."
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
        pick = open_rows[(open_rows["contract_id"] == cid) & (open_rows["month"] == month)]
        row = pick.iloc[0].to_dict()
        with shown_errors():
            close_month(unit_of_work(), row, actor)
            now = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
            st.session_state["credits_notice"] = (
                f"Closed {label} by {actor} at {now}: {row['amount']:,.2f} {row['currency']} "
                "frozen; the approval is in the audit trail."
            )
            st.rerun()
else:
    st.caption("Every month in view is closed.")

st.subheader("Reopen a closed month")
closed_rows = view[view["closed_by"].notna()]
if len(closed_rows):
    pick_label = st.selectbox(
        "Closed contract-month",
        [f"{r.contract_id} {r.month} (closed by {r.closed_by})" for r in closed_rows.itertuples()],
        key="reopen_pick",
    )
    reason = st.text_area("Why it is reopened (goes into the audit trail)", key="reopen_reason")
    if st.button("Reopen", key="reopen"):
        cid, month = pick_label.split(" ")[:2]
        row = closed_rows[(closed_rows["contract_id"] == cid) & (closed_rows["month"] == month)]
        recomputed = {
            "amount": float(row.iloc[0]["recomputed_amount"]),
            "credit_pct": None,
        }
        with shown_errors():
            frozen = reopen_month(unit_of_work(), cid, month, actor, reason, recomputed)
            diff = recomputed["amount"] - float(frozen.get("amount", 0.0))
            st.session_state["credits_notice"] = (
                f"Reopened {cid} {month} by {actor}: closed at {float(frozen['amount']):,.2f}, "
                f"today's figures give {recomputed['amount']:,.2f} ({diff:+,.2f}). The reason "
                "is in the audit trail; close it again to approve today's figures."
            )
            st.rerun()
else:
    st.caption("No closed month in view.")
