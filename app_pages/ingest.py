"""Ingest (support managers, admins): upload an export, confirm the profile and time zone, preview,
load."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from contracts.services import routing
from contracts.services.settings import ingest_choices, remember_ingest_choices
from flows.ingest import ingest_export, reroute_parked
from flows.recipes import all_recipes
from flows.recipes import save as save_recipe
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.profiles.registry import PROFILES, detect_profile
from sla_engine.ingest.recipes import Recipe, matching
from sla_engine.ingest.run import IngestReport, parked_count
from sla_engine.reports.exports import csv_bytes
from ui import recipe_builder
from ui.auth import require
from ui.errors import shown_errors
from ui.resources import (
    export_columns,
    export_mapping,
    export_table,
    routing_key,
    store,
    unit_of_work,
    unmapped_rows,
)
from ui.text import plain, plain_label

PHASE_WORDS = {  # the ingest's phases, as the bar names them
    "read": "Reading the export…",
    "validate": "Checking every row (quarantining what cannot be used)…",
    "waiting": "Another ingest committed to this store first: merging onto it…",
    "merge": "Merging with the tickets already stored…",
    "ledger": "Judging new and changed tickets against the SLA…",
}
HANDFUL = 5  # more inferred tickets than this: the page asks before loading
INGESTED = ""  # marks an upload whose copy the ingest used and deleted
UPLOAD_TYPES = ["csv", "gz", "xlsx", "json", "jsonl", "ndjson", "xml", "parquet", "tsv", "zip"]
DATE_ORDERS = {
    "as the values show": None,
    "day first (03/04/2025 = 3 April)": "day-first",
    "month first (03/04/2025 = March 4)": "month-first",
}


def recipe_actions(built: Recipe) -> None:
    """Save the recipe as shown (a new version, audited), download it, or import one."""
    n1, n2, n3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    name = n1.text_input("Recipe name", value=built.recipe, max_chars=48, key="recipe_name")
    text = built.model_copy(update={"recipe": name.strip() or built.recipe}).to_yaml()
    if n2.button("Save recipe", key="save_recipe"):
        with shown_errors():
            saved = save_recipe(unit_of_work(), text, st.session_state.get("username") or "support")
            st.session_state["recipe_pick"] = saved.name
            st.session_state["recipe_saved"] = f"Saved {saved.name}, version {saved.version}."
            st.rerun()
    n3.download_button(
        "Download YAML",
        text.encode("utf-8"),
        file_name=f"{name.strip() or 'recipe'}.yaml",
        mime="application/yaml",
        key="download_recipe",
    )
    imported = st.file_uploader("Import a recipe (YAML)", type=["yaml", "yml"], key="import_recipe")
    if imported is not None and st.button("Save the imported recipe", key="save_imported"):
        with shown_errors():
            saved = save_recipe(
                unit_of_work(),
                imported.getvalue()[:64_001].decode("utf-8", errors="replace"),
                st.session_state.get("username") or "support",
            )
            st.session_state["recipe_pick"] = saved.name
            st.session_state["recipe_saved"] = f"Imported {saved.name}, version {saved.version}."
            st.rerun()


def discard_upload(path: str) -> None:
    """Delete the server's temporary copy of an upload (and its private folder)."""
    if path:
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def remember(rep: IngestReport) -> None:
    """Keep the report across reruns (e.g. a download of the quarantined rows)."""
    nothing = rep.noop_of is None and rep.loaded_rows + rep.updated_rows == 0
    nothing = nothing and rep.unchanged_rows == 0
    st.session_state["last_ingest"] = (rep.text(), bool(rep.noop_of), rep.batch_id, nothing)


def show_report() -> None:
    """The last ingest's report and its quarantined rows."""
    text, noop, batch_id, nothing = st.session_state["last_ingest"]
    if nothing:
        st.error(
            "Nothing from this export could be loaded: every row was quarantined. The reasons "
            "are below; fix the mapping or the export and upload it again."
        )
        st.text(text)
    else:
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
with st.expander("A new customer? What must exist before their tickets load", expanded=not terms):
    st.markdown(
        "Tickets are measured against a contract's signed SLA, so the contract comes first:  \n"
        "1. **Legal** creates it from a template and sends it for signature (Contracts → New "
        "contract). When the last signer signs, it is measured here at once.  \n"
        "2. A contract **signed elsewhere**: an **administrator** uploads its SLA terms (Admin → "
        "Terms signed elsewhere).  \n"
        "3. Then upload the customer's export here: unknown customers and priority labels are "
        "asked for below and saved with the contract."
    )
    st.markdown("Open: [Contracts](/contracts) (legal) · [Admin](/admin) (administrators)")
if not terms:
    st.info(
        "No contract is measured yet, so there is nothing to load tickets into: start with a "
        "contract (above)."
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
                remember(again)
                show_report()
up = st.file_uploader(
    "Export file (CSV, XLSX, JSON, XML or Parquet, optionally .gz; or a .zip of its pages)",
    key="upload",
    type=UPLOAD_TYPES,
)
up2 = st.file_uploader(
    "Second file, if the export has one (optional): a status history, a change log the recipe "
    "describes (Salesforce CaseHistory, ServiceNow sys_audit, Zendesk ticket audits), a field "
    "history, or Zendesk ticket metrics or metric events",
    key="upload2",
    type=UPLOAD_TYPES,
)
# one temporary copy per uploaded file (not per rerun), deleted by the ingest that uses it and
# whenever the file in the uploader changes
uploads: dict[str, str] = st.session_state.setdefault("uploads", {})
current = {f.file_id for f in (up, up2) if f is not None}
for file_id in [f for f in uploads if f not in current]:
    discard_upload(uploads.pop(file_id))
if up is None:
    st.stop()
if uploads.get(up.file_id) == INGESTED:
    show_report()
    st.caption(f"{plain(up.name)} is loaded and the server's copy deleted; upload the next export.")
    st.stop()


def server_copy(f) -> str:
    if f.file_id not in uploads or uploads[f.file_id] == INGESTED:
        path = Path(tempfile.mkdtemp(prefix="covenant-upload-")) / Path(f.name).name
        path.write_bytes(f.getvalue())
        uploads[f.file_id] = str(path)
    return uploads[f.file_id]


tmp = Path(server_copy(up))
second = server_copy(up2) if up2 is not None else None
# what the user must never see: server paths (the upload's name instead) and CLI flags
words = {str(tmp): up.name, str(tmp.parent) + "/": "", "--tz": "the time zone"}
if second is not None and up2 is not None:
    words[second] = up2.name

with shown_errors(stop=True, words=words):
    preview = export_table(str(tmp))
book = all_recipes(unit_of_work())
guess = detect_profile(list(preview.columns))
second_columns = export_columns(second) if second is not None else None
fits = matching(list(preview.columns), book, guess, second_columns or up2 is not None)
NO_RECIPE = "(none: read with a source profile)"
c1, c3 = st.columns(2)
recipe_names = [NO_RECIPE, *book]
# a second file changes what fits (a recipe with a history): the choice starts again from it
recipe_key = "recipe" if up2 is None else "recipe_with_second_file"
if st.session_state.get("recipe_pick") in book:  # just saved or imported: chosen next
    st.session_state[recipe_key] = st.session_state.pop("recipe_pick")
recipe_name = c1.selectbox(
    "Import recipe",
    recipe_names,
    index=recipe_names.index(fits[0]) if fits else 0,
    key=recipe_key,
    format_func=lambda n: n if n == NO_RECIPE else f"{n} — {book[n].title or 'saved recipe'}",
    help="A recipe says which column holds each fact and what each status means. "
    + (
        f"Fits this export's columns: {', '.join(fits[:3])}"
        if fits
        else "None fits: choose a source profile, or build a recipe below and save it"
    ),
)
base = book.get(recipe_name)
if base is not None:
    profile = base.profile
    c1.caption(
        f"Fits this export's columns; reads it as the {profile} profile."
        if recipe_name in fits
        else "Not every column this recipe names is in the export: adjust it below."
    )
else:
    profile = c1.selectbox(
        "Source profile",
        PROFILES,
        index=PROFILES.index(guess) if guess else 0,
        key="profile",
        help=f"Detected from the columns: {guess}" if guess else "Not detected: choose one",
    )
    if guess:
        c1.caption(f"Detected from the columns: {guess}")
contracts = sorted({t.contract_id for t in terms})
source = f"{profile}:{','.join(sorted(map(str, preview.columns)))}"
remembered = ingest_choices(unit_of_work(), source)
contract_options = ["(from the file)"] + contracts
contract = c3.selectbox(
    "Contract (when the file has no contract column)",
    contract_options,
    index=contract_options.index(remembered.contract)
    if remembered.contract in contract_options
    else 0,
    key=f"contract:{source}",
    help="Only measured contracts are listed; a new customer needs a contract first (see above).",
)
if remembered.contract or remembered.tz:
    st.caption("Started from your answers for the last upload from this source.")
chosen_contract = None if contract.startswith("(") else contract
options = ReadOptions()
if profile == "eventlog":
    e1, e2, e3, e4 = st.columns(4)
    cols = list(preview.columns)
    status_col = e2.selectbox("Status column", cols, key="ev_status")
    options = ReadOptions(
        case=e1.selectbox("Case column", cols, key="ev_case"),
        status=status_col,
        time=e3.selectbox("Time column", cols, key="ev_time"),
        severity=e4.selectbox("Severity column", cols, key="ev_sev"),
        response_status=tuple(
            st.multiselect(
                "Statuses that mark the first response",
                sorted(preview[status_col].dropna().unique())[:200],
                key="ev_resp",
            )
        ),
    )
else:
    if st.session_state.get("recipe_saved"):  # outside the expander: seen even once it closes
        st.success(st.session_state.pop("recipe_saved"))
    with st.expander(
        "Recipe: which column holds each fact, what each status means",
        expanded=base is None and profile == "generic",
    ):
        with shown_errors(words=words):
            built = recipe_builder.build(preview, base, profile, f"{recipe_name}:{profile}")
            options = built.options()
            recipe_actions(built)
st.markdown("**Column mapping** (how this profile reads the file)")
with shown_errors(
    (f"The recipe {recipe_name} " if base is not None else f"The {profile} profile ")
    + "cannot read this file: ",
    ". Name the right column under “Recipe: which column holds each fact”, or choose another "
    + ("recipe." if base is not None else "profile."),
    stop=True,
    words=words,
):
    mapped, notes, needs = export_mapping(str(tmp), profile, options.to_json(), None, second)
    st.dataframe(
        pd.DataFrame([{"Covenant field": k, "column in the export": v} for k, v in mapped.items()]),
        hide_index=True,
        key="mapping",
    )
    for n in notes:
        st.caption(plain(n))
zone = None
z1, z2 = st.columns(2)
if any(v == "naive" for v in needs.values()):
    zones = ["(choose the zone the help desk wrote them in)", *sorted(available_timezones())]
    zones_of = {t.contract_id: t.calendar.timezone for t in terms}
    recipe_zone = base.timezone if base is not None else None
    hint_from = (
        "the recipe"
        if recipe_zone
        else "your last answer for this source"
        if remembered.tz
        else "the contract"
    )
    hint = (
        recipe_zone
        or remembered.tz
        or (
            zones_of.get(chosen_contract)
            if chosen_contract
            else next(iter(set(zones_of.values())))
            if len(set(zones_of.values())) == 1
            else None
        )
    )
    zone = z1.selectbox(
        "Time zone of the export's times (they carry no offset)",
        zones,
        index=zones.index(hint) if hint in zones else 0,
        key=f"tz:{source}",
        help="Suggested: "
        + (
            f"{hint} ({hint_from})"
            if hint
            else "none; the help desk's own settings name its zone (e.g. Zendesk: Admin → "
            "Account → Localization)"
        ),
    )
    if zone.startswith("("):
        st.info("The times in this export carry no UTC offset: choose the zone they are in.")
        st.stop()
else:
    z1.caption("The export's times carry their UTC offset: no time zone is needed.")
orders = {v for k, v in needs.items() if k.endswith(" order")}
if orders:
    shown = orders - {"ambiguous"}
    choice = z2.selectbox(
        "Numeric dates such as 03/04/2025",
        list(DATE_ORDERS),
        key="date_order",
        help="Detected from the values: " + (", ".join(sorted(shown)) or "either order fits"),
    )
    if DATE_ORDERS[choice]:
        options = options.with_date_order(DATE_ORDERS[choice])
    elif not shown:
        st.warning(
            "Every numeric date in this export reads both as day/month and as month/day "
            "(no day is over 12): say which order the help desk writes."
        )
        st.stop()
actor = st.session_state.get("username") or "support"
options_json = options.to_json()
with shown_errors(words=words, stop=True):
    todo = unmapped_rows(
        str(tmp),
        profile,
        options_json,
        zone,
        chosen_contract,
        up.name,
        routing_key(),
        second,
    )
tiers_of = {t.contract_id: list(t.tiers) for t in terms}
if len(todo.labels):
    st.warning(
        f"{int(todo.labels['rows'].sum()):,} tickets carry priority labels that no contract maps "
        "to a tier yet. Map them here (saved with the contract, audited) before loading, or "
        "they are quarantined."
    )
    choices: dict[tuple[str, str], str] = {}
    for i, r in enumerate(todo.labels.itertuples(index=False)):
        options_for = ["(leave unmapped)", *tiers_of.get(r.contract, [])]
        choices[(r.contract, r.label)] = st.selectbox(
            f"Contract {plain_label(r.contract)}: “{plain_label(r.label)}” ({r.rows:,} tickets) "
            "means",
            options_for,
            key=f"sevmap_{i}",
        )
    if st.button("Save these priority mappings", key="save_sevmap"):
        with shown_errors():
            for (cid, label), tier in choices.items():
                if not tier.startswith("("):
                    routing.update(unit_of_work(), cid, actor, labels={label: tier})
            st.rerun()
if len(todo.customers):
    st.warning(
        f"{int(todo.customers['rows'].sum()):,} tickets belong to customers that no contract "
        "lists yet. Say which contract each customer's tickets belong to (saved with the "
        "contract, audited), or they are quarantined."
    )
    owners: dict[str, str] = {}
    for i, r in enumerate(todo.customers.itertuples(index=False)):
        key = str(r[0])
        owners[key] = st.selectbox(
            f"Customer “{plain_label(key)}” ({r[1]:,} tickets) belongs to",
            ["(leave unrouted)", *contracts],
            key=f"custmap_{i}",
        )
    if st.button("Save these customer keys", key="save_custmap"):
        with shown_errors():
            for key, cid in owners.items():
                if not cid.startswith("("):
                    routing.update(unit_of_work(), cid, actor, add_keys=[key])
            st.rerun()
st.markdown("**How the first tickets will load** (times in each contract's zone)")
st.dataframe(todo.preview, hide_index=True, key="as_read")
if len(todo.held):
    st.caption("Rows that would be quarantined, by reason:")
    st.dataframe(todo.held, hide_index=True, key="held")
confirmed = True
if todo.inferred > HANDFUL:
    st.warning(
        f"{todo.inferred:,} tickets' figures rest on an inference from this export: "
        + "; ".join(plain(n) for n in todo.notes if not n.startswith(("file read", "read with")))
        + ". Map the missing column in the recipe above if the export has it."
    )
    confirmed = st.checkbox(
        "Load with these inferences (each is written on its ticket and counted in the report)",
        key=f"confirm_inferred:{source}",
    )
with st.expander(f"The file's first rows ({len(preview):,} rows, {len(preview.columns)} columns)"):
    st.dataframe(preview.head(20), hide_index=True, key="preview")
if st.button("Ingest", type="primary", key="ingest", disabled=not confirmed):
    bar = st.progress(0.0, text=PHASE_WORDS["read"])

    def follow(phase: str, done: float) -> None:
        bar.progress(done, text=PHASE_WORDS[phase])

    with shown_errors(stop=True, words=words):
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
                history=Path(second) if second else None,
                history_name=up2.name if up2 is not None else None,
                progress=follow,
            )
        finally:
            bar.empty()
    for f in (up, up2):  # loaded: the server keeps no copy of the export
        if f is not None:
            discard_upload(uploads[f.file_id])
            uploads[f.file_id] = INGESTED
    remember(rep)
    if rep.loaded_rows + rep.updated_rows + rep.unchanged_rows:
        with shown_errors():
            remember_ingest_choices(
                unit_of_work(),
                source,
                {"tz": zone, "contract": chosen_contract, "date_order": options.date_order},
                actor,
            )
    show_report()
