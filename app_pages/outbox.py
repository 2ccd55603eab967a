"""Outbox (one-machine demo): the mail Covenant would send, for following a signing without an SMTP
server.

Shown only in demo mode (COVENANT_DEMO=1 on the embedded database; make run sets it), with no SMTP
server configured, to a browser on this machine: undelivered messages hold personal signing links.
With SMTP configured, mail leaves through the server.
"""

from __future__ import annotations

import ipaddress

import pandas as pd
import streamlit as st

from contracts.adapters.mailer import SmtpConfig
from contracts.adapters.orm import demo_mode
from contracts.services.outbox import recent_mail
from ui.auth import require
from ui.resources import unit_of_work
from ui.text import plain

require("outbox")
st.title("Outbox")


def local_viewer() -> bool:
    ip = getattr(st.context, "ip_address", None)
    if not isinstance(ip, str):
        return True  # no network peer (tests, bare mode)
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


if SmtpConfig.from_env() is not None:
    st.info("Mail is delivered through the configured SMTP server; the outbox is not shown.")
    st.stop()
if not demo_mode() or not local_viewer():
    st.error(
        "The outbox is shown only in the one-machine demo (make run), to a browser on that machine."
    )
    st.stop()

rows = recent_mail(unit_of_work())
if not rows:
    st.info(
        "Nothing here yet. Send a contract for signature (`python -m contracts send ...`) and its "
        "mail appears here."
    )
    st.stop()
st.caption(
    "No SMTP server is configured (COVENANT_SMTP_HOST), so messages wait here. Open a signing link "
    "from a "
    "message body to act as that signer."
)
for m in rows[:50]:
    with st.expander(
        f"{m['created (UTC)']:%Y-%m-%d %H:%M} · to {plain(m['to'])} · {plain(m['subject'])}"
    ):
        st.text(m["body"])
st.dataframe(pd.DataFrame(rows).drop(columns=["body"]), hide_index=True)
