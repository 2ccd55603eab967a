"""Covenant: the router. Signers reach only the signing page; everyone else signs in and sees the pages of their roles."""
from __future__ import annotations

import streamlit as st

from ui.auth import login_page, roles, sign_out_button

st.set_page_config(page_title="Covenant", page_icon=":material/handshake:", layout="wide")

sign = st.Page("pages/sign.py", title="Sign a contract", icon=":material/signature:", url_path="sign",
               visibility="hidden")
if not st.session_state.get("authentication_status"):
    # no dashboard without a login; a signing link still works
    page = st.navigation([st.Page(login_page, title="Sign in", icon=":material/login:", default=True), sign],
                         position="hidden")
    page.run()
    st.stop()

have = roles()
PAGES = [  # (file, title, icon, roles that may open it; admin may open everything)
    ("pages/overview.py", "Overview", ":material/dashboard:", None),
    ("pages/compliance.py", "Compliance", ":material/monitoring:", {"support_manager", "vendor_manager"}),
    ("pages/ingest.py", "Ingest", ":material/upload_file:", {"support_manager"}),
    ("pages/credits.py", "Credits", ":material/payments:", {"finance"}),
    ("pages/renewals.py", "Renewals", ":material/autorenew:", {"vendor_manager"}),
    ("pages/contracts.py", "Contracts", ":material/contract:", {"legal"}),
    ("pages/audit.py", "Audit", ":material/policy:", {"legal"}),
    ("pages/admin.py", "Admin", ":material/admin_panel_settings:", set()),
    ("pages/outbox.py", "Outbox", ":material/outbox:", set()),
]
visible = [st.Page(f, title=t, icon=i, default=(f == "pages/overview.py")) for f, t, i, r in PAGES
           if r is None or "admin" in have or (r & have)]
sign_out_button()
st.navigation(visible + [sign]).run()
