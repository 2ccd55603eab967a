"""Admin: users and roles."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from contracts.errors import ContractsError
from contracts.users import ROLES, create_user, list_users, set_active, set_roles
from ui.auth import require
from ui.resources import engine

require("admin")
st.title("Users and roles")
users = list_users(engine())
st.dataframe(pd.DataFrame(users), hide_index=True, key="users")
if any(u["demo"] for u in users):
    st.warning("Demo users (password from the README) exist: disable them before real use.")
actor = st.session_state.get("username") or "admin"
with st.form("new_user"):
    st.subheader("Add a user")
    c1, c2 = st.columns(2)
    username = c1.text_input("Username", key="nu_username")
    name = c2.text_input("Full name", key="nu_name")
    email = c1.text_input("E-mail", key="nu_email")
    password = c2.text_input("Initial password (at least 10 characters)", type="password", key="nu_password")
    new_roles = st.multiselect("Roles", ROLES, key="nu_roles")
    if st.form_submit_button("Add user"):
        try:
            create_user(engine(), username, name, email, password, new_roles, actor)
            st.success(f"User {username} added.")
            st.rerun()
        except ContractsError as exc:
            st.error(str(exc))
st.subheader("Change a user")
who = st.selectbox("User", [u["username"] for u in users], key="edit_user")
current = next(u for u in users if u["username"] == who)
roles = st.multiselect("Roles", ROLES, default=current["roles"], key="edit_roles")
c1, c2 = st.columns(2)
if c1.button("Save roles", key="save_roles"):
    set_roles(engine(), who, roles, actor)
    st.success("Roles saved.")
if c2.button("Disable" if current["active"] else "Enable", key="toggle"):
    set_active(engine(), who, not current["active"], actor)
    st.rerun()
