"""At risk (support managers): open tickets ordered by the instant they will breach, so a manager
can act before the month is lost."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from sla_engine.reports.exports import csv_bytes
from ui.auth import require
from ui.resources import (
    at_risk_list,
    generation_or_stop,
    minute_as_of,
    newest_ticket_instant,
    store,
)

require("at_risk")
st.title("At risk")


def _alert_rules() -> None:
    label = "Be told before these breach: alert rules and what they sent"
    try:
        st.page_link("app_pages/alerts.py", label=label, icon=":material/notifications:")
    except StreamlitPageNotFoundError:  # run alone (tests), outside the app's navigation
        st.markdown(f":material/notifications: [{label}](alerts)")


gen = generation_or_stop("No tickets yet. Ingest a help-desk export first.")
now = minute_as_of()
newest = newest_ticket_instant(gen)
when = "now"
if newest is not None and newest < now - 86_400_000_000:
    stamp = f"{pd.Timestamp(newest, unit='us', tz='UTC'):%Y-%m-%d %H:%M} UTC"
    st.info(
        f"The newest ticket in the store is from {stamp}: the exports have not been refreshed "
        "since. Tickets open then may have been answered or resolved in the help desk already."
    )
    when = st.radio(
        "As of",
        ["now", f"the newest ticket ({stamp})"],
        horizontal=True,
        key="ar_as_of",
        help="Now is what matters for action; the newest ticket shows what was at risk when the "
        "last export was taken",
    )
as_of = now if when == "now" or newest is None else newest // 60_000_000 * 60_000_000
risky = at_risk_list(gen, as_of)
zones = {t.contract_id: t.calendar.timezone for t in store().terms()}
st.caption(
    f"Open tickets whose response or resolution has not breached yet, as of "
    f"{pd.Timestamp(as_of, unit='us', tz='UTC'):%Y-%m-%d %H:%M} UTC, earliest breach first. "
    "A ticket paused now has no breach instant while it stays paused."
)
if risky.empty:
    st.success("No open ticket is heading for a breach.")
    _alert_rules()
    st.stop()
c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
contracts = c1.multiselect("Contracts", sorted(risky["contract_id"].unique()), key="ar_contracts")
tiers = c2.multiselect("Tiers", sorted(risky["tier"].unique()), key="ar_tiers")
metric = c3.selectbox("Metric", ["both", "response", "resolution"], key="ar_metric")
within = c4.selectbox(
    "Breaching within", ["any time", "1 hour", "4 hours", "1 day", "1 week"], key="ar_within"
)
view = risky
if contracts:
    view = view[view["contract_id"].isin(contracts)]
if tiers:
    view = view[view["tier"].isin(tiers)]
if metric != "both":
    view = view[view["metric"] == metric]
hours = {"1 hour": 1, "4 hours": 4, "1 day": 24, "1 week": 168}.get(within)
if hours is not None:
    view = view[view["hours_to_breach"].notna() & (view["hours_to_breach"] <= hours)]
if view.empty:
    st.info("No open ticket matches these filters.")
    _alert_rules()
    st.stop()


def local(row: pd.Series) -> str:
    if not row["breaches_at"]:
        return "paused: no breach instant"
    ts = pd.Timestamp(row["breaches_at"]).tz_convert(zones.get(row["contract_id"], "UTC"))
    offset = ts.strftime("%z")
    return ts.strftime("%Y-%m-%d %H:%M ") + offset[:3] + ":" + offset[3:]


shown = view.assign(**{"breaches at (contract's zone)": view.apply(local, axis=1)})
shown = shown[
    [
        "contract_id",
        "ticket_id",
        "tier",
        "metric",
        "breaches at (contract's zone)",
        "hours_to_breach",
        "remaining_minutes",
        "counted_minutes",
        "target_minutes",
        "paused_now",
    ]
]
st.metric("Open metrics at risk", f"{len(shown):,}")
st.dataframe(
    shown,
    hide_index=True,
    key="at_risk_table",
    column_config={
        "contract_id": st.column_config.TextColumn("Contract"),
        "ticket_id": st.column_config.TextColumn("Ticket"),
        "tier": st.column_config.TextColumn("Tier"),
        "metric": st.column_config.TextColumn("Metric"),
        "hours_to_breach": st.column_config.NumberColumn("Hours to breach", format="%.1f"),
        "remaining_minutes": st.column_config.NumberColumn("Minutes left", format="%.0f"),
        "counted_minutes": st.column_config.NumberColumn("Minutes used", format="%.0f"),
        "target_minutes": st.column_config.NumberColumn("Target (min)", format="%.0f"),
        "paused_now": st.column_config.CheckboxColumn("Paused now"),
    },
)
st.download_button(
    "At-risk list (CSV)", csv_bytes(view), "at-risk.csv", "text/csv", key="at_risk_csv"
)
_alert_rules()
