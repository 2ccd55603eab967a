"""Integrations (administrators and IT): connect a help desk so tickets arrive by themselves.
Add a connection, test it, and per connection see its last and next run, what it read, loaded
and quarantined, its cursor and last error; pause, resume, run now. The page draws;
contracts/services/connections.py decides and audits; flows/connectors/ pulls."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from contracts.services import connections
from flows.connectors.sync import sync_connection, test_connection
from ui.auth import require
from ui.errors import shown_errors
from ui.resources import store, unit_of_work
from ui.text import plain

require("integrations")
st.title("Integrations")
st.caption(
    "Covenant pulls tickets from each connected help desk on its schedule (the worker, beside the "
    "app) with the vendor's incremental API, and loads them exactly as an upload of the same "
    "export would. The token is encrypted at rest and never shown again."
)
actor = st.session_state.get("username") or "admin"
VENDOR_HELP = {
    "zendesk": ("https://YOURS.zendesk.com", "agent@example.com/token", "API token"),
    "servicenow": ("https://YOURS.service-now.com", "integration user", "password"),
    "jira": ("https://YOURS.atlassian.net", "agent@example.com", "API token"),
    "freshdesk": ("https://YOURS.freshdesk.com", "your API key", "X (any text)"),
    "freshservice": ("https://YOURS.freshservice.com", "your API key", "X (any text)"),
}
contracts = sorted({t.contract_id for t in store().terms()})

with (
    st.expander("Add a connection", expanded=False),
    st.form("new_connection", clear_on_submit=True),  # the token never stays in the page
):
    c1, c2 = st.columns(2)
    name = c1.text_input("Name", max_chars=100, key="conn_name", placeholder="acme-zendesk")
    vendor = c2.selectbox("Help desk", list(connections.VENDORS), key="conn_vendor")
    url_hint, user_hint, secret_hint = VENDOR_HELP[vendor]
    base_url = st.text_input("Address", max_chars=500, key="conn_url", placeholder=url_hint)
    u1, u2 = st.columns(2)
    user = u1.text_input("User", max_chars=200, key="conn_user", placeholder=user_hint)
    secret = u2.text_input(
        "Token or password",
        type="password",
        max_chars=4000,
        key="conn_secret",
        help=f"{vendor}: {secret_hint}",
    )
    s1, s2, s3 = st.columns(3)
    contract = s1.selectbox(
        "Feeds contract", ["(route by customer key)", *contracts], key="conn_contract"
    )
    every = s2.text_input(
        "Every", value="10m", max_chars=10, key="conn_every", help="10m, 1h … (at least a minute)"
    )
    since = s3.date_input(
        "Backfill from",
        value=datetime.now(UTC).date() - timedelta(days=30),
        key="conn_since",
        help="Tickets updated since this day are read at the first run",
    )
    if st.form_submit_button("Add the connection"):
        with shown_errors():
            cid = connections.add(
                unit_of_work(),
                name,
                vendor,
                base_url,
                user,
                secret,
                actor,
                contract_id=None if contract.startswith("(") else contract,
                every=every,
                since=datetime.combine(since, time(0), tzinfo=UTC) if since else None,
            )
            st.success(
                f"Connection {cid} added (recorded in the audit trail). Its first run is due now: "
                "the worker takes it within a minute, or use Run now below."
            )

every_conn = connections.all_connections(unit_of_work())
if not every_conn:
    st.info("No connections yet. Add one above; until then tickets arrive only by upload.")
    st.stop()


def _when(t: datetime | None) -> str:
    return "—" if t is None else t.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


st.dataframe(
    pd.DataFrame(
        [
            {
                "Name": c.name,
                "Help desk": c.vendor,
                "Address": c.base_url,
                "Contract": c.contract_id or "by customer key",
                "Schedule": "paused" if c.paused else f"every {c.every_s // 60} min",
                "Last run": _when(c.last_run_at),
                "Next run": "—" if c.paused else _when(c.next_run_at),
                "Read": c.rows_read,
                "Loaded": c.rows_loaded,
                "Quarantined": c.rows_quarantined,
                "Last error": c.last_error or "none",
            }
            for c in every_conn
        ]
    ),
    hide_index=True,
    key="connections_table",
)
pick = st.selectbox("Connection", [c.name for c in every_conn], key="conn_pick")
conn = next(c for c in every_conn if c.name == pick)
if conn.last_error:
    st.error(f"Last run failed: {plain(conn.last_error)}")
elif conn.last_ok_at:
    st.success(f"Last run succeeded at {_when(conn.last_ok_at)}.")
st.caption(
    "Cursor: "
    + (plain(", ".join(f"{k} {v}" for k, v in conn.cursor.items())) or "none yet")
    + (f" · running now on {plain(conn.leased_by)}" if conn.leased_by else "")
)
b1, b2, b3 = st.columns(3)
if b1.button("Resume" if conn.paused else "Pause", key=f"conn_pause:{conn.id}"):
    with shown_errors():
        connections.set_paused(unit_of_work(), conn.id, not conn.paused, actor)
        st.rerun()
if b2.button(
    "Run now",
    key=f"conn_run:{conn.id}",
    disabled=conn.paused,
    help="Pull now, here (tests the connection too)",
):
    with shown_errors(), st.spinner(f"Pulling from {conn.vendor}…"):
        result = sync_connection(store(), unit_of_work, conn)
        st.cache_data.clear()  # the pages' figures follow the new tickets
        # said after the rerun, so the table above shows this run's counts
        st.session_state["conn_said"] = (not result.error, result.text())
        st.rerun()
said = st.session_state.pop("conn_said", None)
if said is not None:
    (st.success if said[0] else st.error)(plain(said[1]))
if b3.button("Test", key=f"conn_test:{conn.id}", help="Reach the help desk, store nothing"):
    with shown_errors(), st.spinner(f"Reaching {conn.vendor}…"):
        said = test_connection(unit_of_work, conn)
        (st.error if said.startswith("failed") else st.success)(plain(said))
