"""Audit (legal, admins): search the audit trail and verify its hash chain."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from contracts import audit
from contracts.repository import UnitOfWork
from ui.auth import require
from ui.resources import engine

require("legal")
st.title("Audit trail")
with UnitOfWork(engine()) as uow:
    if st.button("Verify the hash chain", key="verify"):
        verdict = audit.verify(uow.session)
        (st.success if verdict.ok else st.error)(verdict.text())
    rows = [{"#": r.seq, "time (UTC)": r.at[:19], "actor": r.actor, "subject": r.subject, "event": r.kind,
             "ip": r.ip, "details": r.payload, "hash": r.hash[:16]} for r in audit.entries(uow.session)]
df = pd.DataFrame(rows)
q = st.text_input("Search (subject, actor or event)", key="q")
if q and len(df):
    mask = df[["subject", "actor", "event"]].apply(lambda c: c.str.contains(q, case=False, regex=False)).any(axis=1)
    df = df[mask]
st.caption(f"{len(df)} entries")
st.dataframe(df.astype({"details": str}) if len(df) else df, hide_index=True, key="entries")
