"""Alerts (support managers): rules that warn before a breach, a test send, each rule's history
(sent, failed, suppressed with the reason) and its dead letters. The panel draws
(ui/alert_rules_panel.py); contracts/services/alert_rules.py decides; flows/alerts.py sends."""

from __future__ import annotations

import streamlit as st

from ui import alert_rules_panel
from ui.auth import require
from ui.resources import store

require("alerts")
st.title("Alerts")
terms_now = store().terms()
alert_rules_panel.render(
    sorted({t.contract_id for t in terms_now}),
    sorted({tier for t in terms_now for tier in t.tiers}),
    st.session_state.get("username") or "support",
)
