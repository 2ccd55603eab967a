"""Ingest (support managers, admins): upload an export, confirm the profile and time zone, preview,
load."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from contracts.services import routing
from flows.ingest import ingest_export, reroute_parked
from sla_engine.exports import csv_bytes
from sla_engine.ingest import parked_count
from sla_engine.profiles.registry import PROFILES, detect_profile
from ui.auth import require
from ui.errors import shown_errors
from ui.resources import (
    export_mapping,
    export_table,
    routing_key,
    store,
    unit_of_work,
    unmapped_rows,
)
from ui.text import plain

INGESTED = ""  # marks an upload whose copy the ingest used and deleted


def discard_upload(path: str) -> None:
    """Delete the server's temporary copy of an upload (and its private folder)."""
    if path:
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def show_report() -> None:
    """The last ingest's report and its quarantined rows (kept across reruns, e.g. a download)."""
    text, noop, batch_id = st.session_state["last_ingest"]
    (st.info if noop else st.success)(plain(text))  # one line per figure
    q = store().quarantine()
    q = q[q["batch_id"] == batch_id]
    if len(q):
        st.warning(f"{len(q)} rows were quarantined; download them with their reasons.")
        st.dataframe(q.head(200), hide_index=True, key="quarantine")
        st.download_button(
            "Quarantined rows (CSV)",
            csv_bytes(q),
            "quarantine.csv",
            "text/csv",
            key="quarantine_csv",
        )


require("ingest")
st.title("Ingest a help-desk export")
s = store()
terms = s.terms()
if not terms:
    st.info(
        "No SLA terms are registered yet: add a contract's terms first (`python -m sla_engine "
        "terms add FILE`)."
    )
    st.stop()
waiting = parked_count(s)
if waiting:
    st.info(
        f"{waiting:,} tickets from earlier exports wait for a customer key or a priority label. "
        "Once a contract lists their customer or maps their label (below, or on the Contracts "
        "page), load them here without uploading the export again."
    )
    if st.button(f"Load the {waiting:,} parked tickets with today's mappings", key="reroute"):
        with shown_errors():
            again = reroute_parked(s, unit_of_work())
            if again is not None:
                st.session_state["last_ingest"] = (
                    again.text(),
                    bool(again.noop_of),
                    again.batch_id,
                )
                show_report()
up = st.file_uploader(
    "Export file (CSV, XLSX, JSON or Parquet, optionally .gz)",
    key="upload",
    type=["csv", "gz", "xlsx", "json", "jsonl", "parquet", "tsv"],
)
# one temporary copy per uploaded file (not per rerun), deleted by the ingest that uses it and
# whenever the file in the uploader changes
uploads: dict[str, str] = st.session_state.setdefault("uploads", {})
for file_id in [f for f in uploads if up is None or f != up.file_id]:
    discard_upload(uploads.pop(file_id))
if up is None:
    st.stop()
if uploads.get(up.file_id) == INGESTED:
    show_report()
    st.caption(f"{plain(up.name)} is loaded and the server's copy deleted; upload the next export.")
    st.stop()
if up.file_id not in uploads:
    path = Path(tempfile.mkdtemp(prefix="covenant-upload-")) / Path(up.name).name
    path.write_bytes(up.getvalue())
    uploads[up.file_id] = str(path)
tmp = Path(uploads[up.file_id])


with shown_errors(stop=True):
    preview = export_table(str(tmp))
guess = detect_profile(list(preview.columns))
c1, c2, c3 = st.columns(3)
profile = c1.selectbox(
    "Source profile",
    PROFILES,
    index=PROFILES.index(guess) if guess else 0,
    key="profile",
    help=f"Detected: {guess}" if guess else "Not detected: choose one",
)
zones = ["(timestamps carry an offset)"] + sorted(available_timezones())
tz = c2.selectbox("Time zone of naive timestamps", zones, key="tz")
contracts = sorted({t.contract_id for t in terms})
contract = c3.selectbox(
    "Contract (when the file has no contract column)",
    ["(from the file)"] + contracts,
    key="contract",
)
zone = None if tz.startswith("(") else tz
chosen_contract = None if contract.startswith("(") else contract
options: dict = {}
if profile == "eventlog":
    e1, e2, e3, e4 = st.columns(4)
    cols = list(preview.columns)
    options = {
        "case": e1.selectbox("Case column", cols, key="ev_case"),
        "status": e2.selectbox("Status column", cols, key="ev_status"),
        "time": e3.selectbox("Time column", cols, key="ev_time"),
        "severity": e4.selectbox("Severity column", cols, key="ev_sev"),
    }
    options["response_status"] = st.multiselect(
        "Statuses that mark the first response",
        sorted(preview[options["status"]].dropna().unique())[:200],
        key="ev_resp",
    )
st.markdown("**Column mapping** (how this profile reads the file)")
with shown_errors(
    f"The {profile} profile cannot read this file: ", ". Choose another profile or fix the export."
):
    mapped, notes = export_mapping(str(tmp), profile, json.dumps(options, sort_keys=True), zone)
    st.dataframe(
        pd.DataFrame([{"Covenant field": k, "column in the export": v} for k, v in mapped.items()]),
        hide_index=True,
        key="mapping",
    )
    for n in notes:
        st.caption(n)
actor = st.session_state.get("username") or "support"
with shown_errors():
    todo = unmapped_rows(
        str(tmp),
        profile,
        json.dumps(options, sort_keys=True),
        zone,
        chosen_contract,
        up.name,
        routing_key(),
    )
    tiers_of = {t.contract_id: list(t.tiers) for t in terms}
    if len(todo.labels):
        st.warning(
            f"{int(todo.labels['rows'].sum()):,} rows carry priority labels that no contract maps "
            "to a tier yet. Map them here (saved with the contract, audited) before loading, or "
            "they are quarantined."
        )
        choices: dict[tuple[str, str], str] = {}
        for i, r in enumerate(todo.labels.itertuples(index=False)):
            options_for = ["(leave unmapped)", *tiers_of.get(r.contract, [])]
            choices[(r.contract, r.label)] = st.selectbox(
                f"{r.contract}: “{r.label}” ({r.rows:,} rows) means",
                options_for,
                key=f"sevmap_{i}",
            )
        if st.button("Save these priority mappings", key="save_sevmap"):
            for (cid, label), tier in choices.items():
                if not tier.startswith("("):
                    routing.update(unit_of_work(), cid, actor, labels={label: tier})
            st.rerun()
    if len(todo.customers):
        st.warning(
            f"{int(todo.customers['rows'].sum()):,} rows belong to customers that no contract "
            "lists yet. Say which contract each customer's tickets belong to (saved with the "
            "contract, audited), or they are quarantined."
        )
        owners: dict[str, str] = {}
        for i, r in enumerate(todo.customers.itertuples(index=False)):
            key = str(r[0])
            owners[key] = st.selectbox(
                f"Customer “{key}” ({r[1]:,} rows) belongs to",
                ["(leave unrouted)", *contracts],
                key=f"custmap_{i}",
            )
        if st.button("Save these customer keys", key="save_custmap"):
            for key, cid in owners.items():
                if not cid.startswith("("):
                    routing.update(unit_of_work(), cid, actor, add_keys=[key])
            st.rerun()
st.caption(f"{len(preview):,} rows, {len(preview.columns)} columns; first rows:")
st.dataframe(preview.head(20), hide_index=True, key="preview")
if st.button("Ingest", type="primary", key="ingest"):
    bar = st.progress(0.1, text="Reading and validating…")
    with shown_errors(stop=True):
        try:
            rep = ingest_export(
                s,
                unit_of_work(),
                tmp,
                profile,
                tz=zone,
                contract=chosen_contract,
                options=options,
                display_name=up.name,
            )
        finally:
            bar.empty()
    discard_upload(uploads[up.file_id])  # loaded: the server keeps no copy of the export
    uploads[up.file_id] = INGESTED
    st.session_state["last_ingest"] = (rep.text(), bool(rep.noop_of), rep.batch_id)
    show_report()
