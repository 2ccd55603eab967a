"""Compliance (support managers): monthly compliance per tier and metric, target drawn in,
drill-down, evidence export."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from contracts.services import evidence_access
from flows.evidence import signed_document
from sla_engine.reports.exports import csv_bytes
from sla_engine.reports.timeline_text import figures_in_words, local_times
from ui.auth import client_ip, require
from ui.errors import shown_errors
from ui.resources import (
    evidence_pdf_file,
    evidence_xlsx,
    generation_or_stop,
    hourly_as_of,
    month_tickets,
    monthly_report,
    store,
    timeline,
    unit_of_work,
    unmeasured,
)
from ui.text import plain
from ui.timeline_chart import figure as timeline_figure

require("compliance")
st.title("Compliance")
gen = generation_or_stop("No tickets yet. Ingest a help-desk export first.")
report = monthly_report(gen, hourly_as_of())
# a link from the Overview (/compliance?contract=…&tier=…&metric=…&month=…) opens that view once;
# after that the widgets are the user's
asked = {k: st.query_params.get(k) for k in ("contract", "tier", "metric", "month")}
if any(asked.values()) and st.session_state.get("asked_view") != asked:
    st.session_state["asked_view"] = asked
    for k in ("contract", "tier", "metric"):
        if asked[k]:
            st.session_state[k] = asked[k]
c1, c2, c3 = st.columns([2, 1, 1])
contracts = sorted(report["contract_id"].unique())
if st.session_state.get("contract") not in contracts:
    st.session_state.pop("contract", None)
contract = c1.selectbox("Contract", contracts, key="contract")
if st.session_state.get("metric") not in ("response", "resolution"):
    st.session_state.pop("metric", None)
metric = c2.radio(
    "Metric",
    ["response", "resolution"],
    horizontal=True,
    key="metric",
    format_func=lambda m: "First response" if m == "response" else "Resolution",
)
if gap := unmeasured(gen).get(contract):  # tickets no terms version judges: said, not hidden
    st.info(gap)
view = report[(report["contract_id"] == contract) & (report["metric"] == metric)]
tiers = sorted(view["severity"].unique())
if st.session_state.get("tier") not in tiers:
    st.session_state.pop("tier", None)
tier = c3.selectbox("Tier", tiers, key="tier")
# every calendar month from the first to the last, so a gap shows as a gap, not as neighbours
months = (
    [str(p) for p in pd.period_range(min(view["month"]), max(view["month"]), freq="M")]
    if len(view)
    else []
)
m0, m1 = st.select_slider(
    "Months", options=months, value=(months[max(0, len(months) - 12)], months[-1]), key="months"
)
v = view[(view["severity"] == tier) & (view["month"] >= m0) & (view["month"] <= m1)]
shown_months = [m for m in months if m0 <= m <= m1]
if not v["month"].duplicated().any():  # months without tickets stay on the axis, empty
    v = v.set_index("month").reindex(shown_months).rename_axis("month").reset_index()

fig = go.Figure()
fig.add_bar(
    x=v["month"],
    y=v["compliance_pct"],
    name="compliance %",
    marker_color=[
        "#2e7d32" if s == "met" else "#c62828" if s == "missed" else "#9e9e9e" for s in v["status"]
    ],
    customdata=v[["met", "breached", "pending", "tickets"]].fillna(0),
    hovertemplate="%{x}: %{y:.1f} %<br>met %{customdata[0]}, breached %{customdata[1]}, "
    "pending %{customdata[2]} of %{customdata[3]}<extra></extra>",
)
fig.add_scatter(
    x=v["month"],
    y=v["target_pct"],
    mode="lines+markers" if len(v) == 1 else "lines",  # one month: the target is still drawn
    name="target",
    line={"dash": "dash", "color": "#333"},
)
fig.update_layout(
    title=f"{contract} · {tier} · {metric} compliance",
    yaxis_title="% of tickets within target",
    xaxis={"type": "category"},  # months, never sub-second ticks when one month is shown
    yaxis_range=[0, 100],
    height=380,
    margin={"t": 50, "b": 30},
)
event = st.plotly_chart(fig, key="chart", on_select="rerun", selection_mode="points")
MONTH_COLUMNS = {  # the table's columns, in people's words
    "month": st.column_config.TextColumn("Month"),
    "tickets": st.column_config.NumberColumn("Tickets", format="%d"),
    "met": st.column_config.NumberColumn("Met", format="%d"),
    "breached": st.column_config.NumberColumn("Breached", format="%d"),
    "pending": st.column_config.NumberColumn("Pending", format="%d"),
    "compliance_pct": st.column_config.NumberColumn("Compliance", format="%.1f %%"),
    "target_pct": st.column_config.NumberColumn("Target", format="%.1f %%"),
    "status": st.column_config.TextColumn("Status"),
}
st.dataframe(
    v[[c for c in MONTH_COLUMNS if c in v.columns]].assign(status=v["status"].fillna("no tickets")),
    hide_index=True,
    key="table",
    column_config=MONTH_COLUMNS,
)

st.subheader("Drill down")
v = v[v["tickets"].fillna(0) > 0]
choices = list(reversed(v["month"].tolist()))
flagged = v[(v["breached"] + v["pending"]) > 0]
if flagged.empty:
    st.info(
        f"No breached or pending {plain(tier)} tickets ({metric}) in {m0} to {m1}: nothing to "
        "drill into or export."
    )
    st.stop()
# one drill-down per view: a change of contract, tier or metric never keeps another view's month
month_key = f"drill_month:{contract}:{tier}:{metric}"
points = (event or {}).get("selection", {}).get("points", []) if event else []
picked = str(points[0]["x"])[:7] if points else None
if picked in choices and st.session_state.get("drill_pick") != (month_key, picked):
    st.session_state["drill_pick"] = (month_key, picked)  # a click on a bar drills into its month
    st.session_state[month_key] = picked
if asked["month"] in choices and st.session_state.get("drill_asked") != (month_key, asked):
    st.session_state["drill_asked"] = (month_key, asked)  # the month the Overview link named
    st.session_state[month_key] = asked["month"]
# otherwise the worst month: lowest compliance, then most breached
worst = flagged.sort_values(["compliance_pct", "breached"], ascending=[True, False]).iloc[0]
month = st.selectbox(
    "Month",
    choices,
    index=choices.index(worst["month"]),
    key=month_key,
    help="Click a bar, or pick a month; opens on the worst month of the view",
)
tickets = month_tickets(gen, hourly_as_of(), contract, month)
col = "resp_met" if metric == "response" else "res_met"
sev_col = "resp_sev" if metric == "response" else "severity"
sel = tickets[(tickets[sev_col] == tier) & (tickets[col] != True)]  # noqa: E712 - breached (False) and pending (NA)
contract_terms = [t for t in store().terms() if t.contract_id == contract]  # read once per render
tz = contract_terms[0].calendar.timezone if contract_terms else "UTC"


trace = pd.DataFrame(
    {
        "ticket": sel["ticket_id"],
        "state": sel[col].map(lambda x: "pending" if pd.isna(x) else "breached"),
        f"created ({tz})": local_times(sel["created_us"], tz),
        f"first response ({tz})": local_times(sel["resp_at"], tz),
        f"resolved ({tz})": local_times(sel["res_at"], tz),
        "minutes counted": (
            (sel["resp_el"] if metric == "response" else sel["res_el"]) / 60e6
        ).round(1),
        "target (min)": (
            (sel["resp_target"] if metric == "response" else sel["res_target"]) / 60e6
        ).round(1),
        "paused (min)": (sel["paused"] / 60e6).round(1),
        "terms version": sel["terms_id"],
    }
)
if trace.empty:
    st.info(
        f"No breached or pending {plain(tier)} tickets in {month} ({metric}): nothing to export."
    )
    st.stop()
st.caption(
    f"{len(trace)} breached or pending {tier} tickets in {month} ({metric}); minutes are counted "
    "on the tier's clock (business hours or 24x7, see each ticket's timeline below), pauses "
    "subtracted."
)
st.dataframe(trace, hide_index=True, key="trace")

facts = [
    ("Contract", contract),
    ("Month / tier / metric", f"{month} / {tier} / {metric}"),
    ("Terms version(s)", ", ".join(sorted(set(sel["terms_id"]))) or "-"),
    ("Template version", ", ".join(sorted({t.version or "-" for t in contract_terms}))),
    (
        "Signed document SHA-256",
        signed_document(unit_of_work(), contract) or "no sealed document held by Covenant",
    ),
    (
        "Computed",
        f"as of {pd.Timestamp(hourly_as_of(), unit='us', tz='UTC'):%Y-%m-%d %H:%M} UTC; store "
        f"{gen}",
    ),
]
title = f"Breach evidence: {contract} {month} {tier} {metric}"
as_of = hourly_as_of()


# each file is drawn when asked for (a month at 10M holds ~10,000 breaches: its XLSX takes 2 s)
def pdf() -> bytes:
    return evidence_pdf_file(title, tuple(facts), trace, gen, as_of, contract)


def csv() -> bytes:
    return csv_bytes(trace)


def xlsx() -> bytes:
    return evidence_xlsx(trace, f"{contract} {month}")


what = f"{month} {tier} {metric} breaches"
viewer = st.session_state.get("username") or ""
seen = st.session_state.setdefault("evidence_seen", set())
if (contract, what) not in seen:  # the first view in this session is audited
    seen.add((contract, what))
    evidence_access.record(unit_of_work(), viewer, contract, what, "view", client_ip())


def exported(fmt: str) -> None:
    evidence_access.record(unit_of_work(), viewer, contract, what, fmt, client_ip())


e1, e2, e3 = st.columns(3)
e3.download_button(
    "Evidence (PDF)",
    pdf,
    f"breaches-{contract}-{month}-{tier}-{metric}.pdf",
    "application/pdf",
    key="pdf",
    on_click=exported,
    args=("pdf",),
)
e1.download_button(
    "Evidence (CSV)",
    csv,
    f"breaches-{contract}-{month}-{tier}-{metric}.csv",
    "text/csv",
    key="csv",
    on_click=exported,
    args=("csv",),
)
e2.download_button(
    "Evidence (XLSX)",
    xlsx,
    f"breaches-{contract}-{month}-{tier}-{metric}.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="xlsx",
    on_click=exported,
    args=("xlsx",),
)

st.subheader("Why this ticket")
ticket = st.selectbox(
    "Ticket",
    list(trace["ticket"]),
    key=f"why:{contract}:{tier}:{metric}:{month}",
    help="Its SLA timeline: what counted, what did not and why, and when the target was reached",
)
with shown_errors():
    tl = timeline(gen, hourly_as_of(), contract, ticket)
    st.plotly_chart(timeline_figure(tl), key="timeline")
    for line in figures_in_words(tl):
        st.markdown(plain(line))
