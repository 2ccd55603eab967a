"""Audit (legal, admins): search the audit trail, verify its hash chain and signed checkpoints,
sign and export checkpoints, retention and legal holds."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from contracts.adapters import audit_anchor
from ui.auth import require
from ui.errors import shown_errors
from ui.resources import unit_of_work
from ui.text import plain

require("audit")
st.title("Audit trail")
c1, c2, c3 = st.columns(3)
if c2.button("Sign a checkpoint now", key="checkpoint"):
    with shown_errors():
        cp = audit_anchor.sign_checkpoint(unit_of_work())
        st.success(
            f"Checkpoint #{cp['number']} signed at entry {cp['seq']}. Export the checkpoints and "
            "keep them outside this database."
        )
with unit_of_work() as uow:
    if c1.button("Verify the trail", key="verify"):
        with shown_errors():
            verdict = uow.verify_trail()
            (st.success if verdict.ok else st.error)(plain(verdict.text()))
    checkpoints = uow.checkpoints()
    c3.download_button(
        f"Export {len(checkpoints)} checkpoint(s)",
        "".join(json.dumps(r) + "\n" for r in checkpoints),
        "covenant-audit-checkpoints.jsonl",
        "application/jsonl",
        key="export_checkpoints",
        disabled=not checkpoints,
    )
    rows = [
        {
            "#": r["seq"],
            "time (UTC)": r["at"][:19],
            "actor": r["actor"],
            "subject": r["subject"],
            "event": r["kind"],
            "ip": r["ip"],
            "details": r["payload"],
            "hash": r["hash"][:16],
        }
        for r in uow.audit_entries()
    ]
df = pd.DataFrame(rows)
q = st.text_input("Search (subject, actor or event)", key="q")
if q and len(df):
    mask = (
        df[["subject", "actor", "event"]]
        .apply(lambda c: c.str.contains(q, case=False, regex=False))
        .any(axis=1)
    )
    df = df[mask]
st.caption(f"{len(df)} entries")
st.dataframe(df.astype({"details": str}) if len(df) else df, hide_index=True, key="entries")

st.subheader("Retention and legal holds")
from contracts.services import retention  # noqa: E402 - page sections read top to bottom

with unit_of_work() as uow:
    ids = [c.id for c in uow.repo.list_contracts()]
if not ids:
    st.info("No contracts yet.")
else:
    cid = st.selectbox("Contract", ids, key="ret_contract")
    status = retention.status(unit_of_work(), cid)
    st.write(
        f"Kept until **{status.keep_until}** ({retention.retention_years(unit_of_work())} years "
        f"after the contract ends); "
        f"legal holds: **{'; '.join(status.holds) or 'none'}**"
    )
    actor = st.session_state.get("username") or "legal"
    reason = st.text_input("Legal hold reason (matter, case number)", key="hold_reason")
    h1, h2, h3 = st.columns(3)
    if h1.button("Place legal hold", key="hold", disabled=not reason.strip()):
        retention.place_hold(unit_of_work(), cid, reason, actor)
        st.rerun()
    if h2.button("Release holds", key="release", disabled=not status.holds):
        retention.release_hold(unit_of_work(), cid, actor)
        st.rerun()
    if h3.button("Purge (after retention only)", key="purge"):
        with shown_errors():
            what = retention.purge(unit_of_work(), cid, actor)
            st.success(
                f"Purged {plain(what['contract'])}; the audit trail records what was deleted."
            )
