"""Covenant: the router. Signers reach only the signing page; everyone else signs in and sees the
pages their roles open (the table in ui/access.py, which every page checks again on the server)."""

from __future__ import annotations

import streamlit as st

from ui.access import PAGES, home
from ui.auth import current_user, demo_banner, keep_cookie, login_page, roles, sign_out_button

st.set_page_config(page_title="Covenant", page_icon=":material/handshake:", layout="wide")

sign = st.Page(
    "app_pages/sign.py",
    title="Sign a contract",
    icon=":material/signature:",
    url_path="sign",
    visibility="hidden",
)
user = current_user()  # asked of the server on every run: a disabled user is signed out here
keep_cookie()
if user is None:
    # no dashboard without a login; a signing link still works, and a link to any page leads to the
    # sign-in, then (same address, next run) to that page — never "page not found"
    login = st.Page(login_page, title="Sign in", icon=":material/login:", default=True)
    asked = [st.Page(login_page, title="Sign in", url_path=p.key) for p in PAGES]
    st.navigation([login, *asked, sign], position="hidden").run()
    st.stop()

have = roles()
# every page has its address; the menu lists the user's, and another's link gets the page's own
# refusal naming who may open it (each page checks on the server: ui/auth.require)
start = home(have)
pages = [
    st.Page(
        p.file,
        title=p.title,
        icon=p.icon,
        default=(p.key == start),
        # the home page is served at "/" and reserves a path of its own, so that its usual
        # address (a bookmark, a colleague's link, a notice) can open it too, below
        url_path=f"{p.key}-home" if p.key == start else None,
        visibility="visible" if p.allows(have) else "hidden",
    )
    for p in PAGES
]
pages += [
    st.Page(p.file, title=p.title, icon=p.icon, url_path=p.key, visibility="hidden")
    for p in PAGES
    if p.key == start
]
sign_out_button()
demo_banner()
st.navigation([*pages, sign]).run()
