"""The Alerts page's rules: add one (thresholds, tiers, metrics, who to tell), see them,
switch them off and on, and read what was sent and what could not be delivered. The page draws;
contracts/services/alert_rules.py decides and audits; flows/alerts.py sends."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from contracts.services import alert_rules
from ui.errors import shown_errors
from ui.resources import unit_of_work
from ui.text import plain


def render(contracts: list[str], tiers: list[str], actor: str) -> None:
    st.subheader("Alerts before a breach")
    st.caption(
        "Each rule tells its recipients once per ticket, metric, tier and threshold, whichever "
        "worker checks first; a paused ticket waits until its clock runs again. The checks run "
        "every minute with the worker, or with `python -m flows alerts run`."
    )
    with st.expander("Add an alert rule"), st.form("new_alert_rule", clear_on_submit=False):
        name = st.text_input("Name", max_chars=200, key="rule_name")
        c1, c2, c3 = st.columns(3)
        contract = c1.selectbox("Contract", ["All contracts", *contracts], key="rule_contract")
        chosen_tiers = c2.multiselect("Tiers (none: all)", tiers, key="rule_tiers")
        metrics = c3.multiselect(
            "Metrics",
            list(alert_rules.METRICS),
            default=list(alert_rules.METRICS),
            key="rule_metrics",
        )
        thresholds = st.text_input(
            "Thresholds (comma-separated)",
            value="75%, 60m, breach",
            key="rule_thresholds",
            help="A share of the target used (75%), a time left before the breach on the tier's "
            "clock (60m, 4h), or breach",
        )
        emails = st.text_area("E-mail addresses (one per line)", key="rule_emails")
        w1, w2 = st.columns([1, 3])
        kind = w1.selectbox(
            "Webhook",
            ["none", *alert_rules.WEBHOOK_KINDS],
            key="rule_kind",
            help="standard: signed as Standard Webhooks; slack, teams: their incoming webhooks; "
            "apprise: an apprise address (json://, slack://, msteams://, discord://, …)",
        )
        url = w2.text_input("Webhook address", max_chars=2000, key="rule_url")
        ticket_url = st.text_input(
            "The help desk's ticket address, with {ticket} for the id (optional)",
            max_chars=2000,
            key="rule_ticket_url",
        )
        if st.form_submit_button("Add the rule"):
            with shown_errors():
                rule_id, secret = alert_rules.create_rule(
                    unit_of_work(),
                    name,
                    actor,
                    [t for t in thresholds.split(",") if t.strip()],
                    metrics,
                    contract_id=None if contract == "All contracts" else contract,
                    tiers=chosen_tiers,
                    emails=emails.splitlines(),
                    webhook_kind=None if kind == "none" else kind,
                    webhook_url=url.strip() or None if kind != "none" else None,
                    ticket_url=ticket_url.strip() or None,
                )
                st.success(f"Alert rule {rule_id} added (recorded in the audit trail).")
                if secret:
                    st.warning(
                        "The webhook's signing secret, shown once: give it to the receiving "
                        "system to verify the webhook-signature header."
                    )
                    st.code(secret, language=None)
    every = alert_rules.rules(unit_of_work(), active_only=False)
    if not every:
        st.info("No alert rules yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Rule": r.id,
                    "Name": r.name,
                    "Contract": r.contract_id or "all",
                    "Tiers": ", ".join(r.tiers) or "all",
                    "Metrics": ", ".join(r.metrics),
                    "Thresholds": ", ".join(t.text for t in r.thresholds),
                    "E-mails": len(r.emails),
                    "Webhook": r.webhook_kind or "—",
                    "Active": r.active,
                }
                for r in every
            ]
        ),
        hide_index=True,
        key="alert_rules",
    )
    pick = st.selectbox(
        "Rule",
        [r.id for r in every],
        key="rule_pick",
        format_func=lambda i: next(f"{r.id}: {r.name}" for r in every if r.id == i),
    )
    rule = next(r for r in every if r.id == pick)
    b1, b2 = st.columns(2)
    if b1.button("Switch off" if rule.active else "Switch on", key=f"rule_toggle:{rule.id}"):
        with shown_errors():
            alert_rules.set_active(unit_of_work(), rule.id, not rule.active, actor)
            st.rerun()
    if b2.button("Send a test", key=f"rule_test:{rule.id}", help="A sample alert, now"):
        with shown_errors():
            from flows.alerts import test_send

            st.info(plain(test_send(unit_of_work(), rule.id, actor)))
    sent = alert_rules.history(unit_of_work(), rule.id)
    if not sent:
        st.caption(f"Rule {rule.id} has not alerted yet.")
        return
    st.caption(f"The last {len(sent)} alert(s) of rule {rule.id}, sent or suppressed")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When (UTC)": s.at,
                    "Contract": s.contract_id,
                    "Ticket": s.ticket_id,
                    "Tier": s.tier,
                    "Metric": s.metric,
                    "Threshold": s.threshold,
                    "Outcome": s.outcome,
                    "Webhook": s.webhook_status or "—",
                }
                for s in sent
            ]
        ),
        hide_index=True,
        key=f"alerts_sent:{rule.id}",
    )
    dead = [s for s in sent if (s.webhook_status or "").startswith("dead")]
    if dead:
        st.warning(
            f"{len(dead)} webhook delivery(ies) failed for good (dead letters); the e-mail "
            f"recipients were still told. Last: {plain(dead[0].webhook_status or '')}."
        )
