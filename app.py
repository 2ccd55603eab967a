"""Covenant: the router. Signers reach only the signing page; everyone else signs in and sees the
pages their roles open (the table in ui/access.py, which every page checks again on the server)."""

from __future__ import annotations

import streamlit as st

from ui.access import DEFAULT_PAGE, visible_pages
from ui.auth import current_user, demo_banner, keep_cookie, login_page, roles, sign_out_button

st.set_page_config(page_title="Covenant", page_icon=":material/handshake:", layout="wide")

sign = st.Page(
    "pages/sign.py",
    title="Sign a contract",
    icon=":material/signature:",
    url_path="sign",
    visibility="hidden",
)
user = current_user()  # asked of the server on every run: a disabled user is signed out here
keep_cookie()
if user is None:
    # no dashboard without a login; a signing link still works
    login = st.Page(login_page, title="Sign in", icon=":material/login:", default=True)
    st.navigation([login, sign], position="hidden").run()
    st.stop()

visible = [
    st.Page(p.file, title=p.title, icon=p.icon, default=(p.key == DEFAULT_PAGE))
    for p in visible_pages(roles())
]
sign_out_button()
demo_banner()
st.navigation([*visible, sign]).run()
