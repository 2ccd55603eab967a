"""Covenant as served (`make run`: `streamlit run serve.py`): the app (app.py) on Streamlit's
own server, plus one route of ours, which sets the session cookie from the server so that it is
HttpOnly (ui/session_route.py)."""

import streamlit as st
from starlette.routing import Route

from ui.session_route import PATH, session_cookie

app = st.App("app.py", routes=[Route(PATH, session_cookie, methods=["POST", "DELETE"])])
