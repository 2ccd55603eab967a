"""The Ingest page's recipe builder: which column holds each fact and what each status means,
started from the chosen recipe, shown against the export's own columns and status values. Saving
and importing go through flows/recipes.py (validated, versioned, audited)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_engine.ingest.profiles.selectors import is_selector, with_selected
from sla_engine.ingest.recipes import MEANINGS, Recipe

FACT_WORDS = {
    "ticket_id": "Ticket id",
    "contract_id": "Customer or contract",
    "severity": "Priority / severity",
    "created_at": "Created",
    "first_response_at": "First response",
    "resolved_at": "Resolved",
    "closed_at": "Closed",
    "status": "Status",
    "pending_since": "Waiting (pending) since",
    "updated_at": "Status changed / last updated",
}
NOT_MAPPED = "(not in this export)"
AS_PROFILE = "(as the profile reads it)"
MAX_STATUS_VALUES = 40
MAX_SEVERITY_CODES = 20


def _present(cands: list[str], columns: list[str]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[c.lower()] for c in cands if c.lower() in lowered), None)


def build(preview: pd.DataFrame, base: Recipe | None, profile: str, scope: str) -> Recipe:
    """Widgets for every fact and status value; returns the recipe they describe. Widget keys
    include `scope` (the chosen recipe), so choosing another recipe starts from its answers."""
    # a recipe's selectors (an item of a list: JSM's request fields) are columns of their own
    chosen = [c for cands in (base.columns.values() if base else []) for c in cands]
    paths = tuple(c for c in chosen if is_selector(c))
    if paths:
        preview = _selected(preview, paths)
    columns = [str(c) for c in preview.columns]
    empty = AS_PROFILE if profile != "generic" else NOT_MAPPED
    mapped: dict[str, list[str]] = {}
    left, right = st.columns(2)
    for i, (fact, words) in enumerate(FACT_WORDS.items()):
        # the recipe's column, else a column named as the fact itself (the generic layout)
        own = [fact] if profile == "generic" else []
        start = _present(base.columns.get(fact, []) if base else own, columns)
        options = [empty, *columns]
        col = (left if i % 2 == 0 else right).selectbox(
            words,
            options,
            index=options.index(start) if start in options else 0,
            key=f"rb:{scope}:{fact}",
        )
        if col != empty:
            mapped[fact] = [col]
    statuses: dict[str, list[str]] = {}
    names = dict(base.status_names) if base else {}
    if "status" in mapped:
        values = preview[mapped["status"][0]].dropna().astype(str).str.strip()
        distinct = sorted({v for v in values if v})[:MAX_STATUS_VALUES]
        if distinct:
            st.markdown("**What each status means** (the contract's pause list decides the rest)")
        known = {v: k for k, vs in (base.statuses.items() if base else []) for v in vs}
        scols = st.columns(3)
        for j, value in enumerate(distinct):
            named = names.get(value.lower(), value.lower())
            start = known.get(named, AS_PROFILE)
            choices = [AS_PROFILE, *MEANINGS]
            meaning = scols[j % 3].selectbox(
                f"“{value}”" + (f" ({named})" if named != value.lower() else ""),
                choices,
                index=choices.index(start),
                key=f"rb:{scope}:status:{value}",
            )
            if meaning != AS_PROFILE:
                statuses.setdefault(meaning, []).append(named)
    severity_names = _severity_names(preview, mapped, base, scope)
    return Recipe(
        recipe=base.recipe if base else "my-export",
        title=base.title if base else "",
        source=base.source if base else "",
        profile=base.profile if base else profile,
        records=base.records if base else None,
        columns=mapped,
        status_names=names,
        severity_names=severity_names,
        statuses=statuses,
        date_order=base.date_order if base else None,
        timezone=base.timezone if base else None,
        history=base.history if base else None,
    )


@st.cache_data(show_spinner=False, max_entries=4)
def _selected(preview: pd.DataFrame, paths: tuple[str, ...]) -> pd.DataFrame:
    """The export with a column per selector, read once per export and recipe (not at every
    rerun of the page: each record's list is parsed as JSON)."""
    return with_selected(preview, list(paths))[0]


def _severity_names(
    preview: pd.DataFrame, mapped: dict[str, list[str]], base: Recipe | None, scope: str
) -> dict[str, str]:
    """Names for severity codes (GLPI writes 5 for "very high"): asked when the recipe names
    some or the export's severities are all numbers; a blank name keeps the code as written."""
    names = dict(base.severity_names) if base else {}
    if "severity" not in mapped:
        return names
    values = preview[mapped["severity"][0]].dropna().astype(str).str.strip()
    distinct = sorted({v for v in values if v})[:MAX_SEVERITY_CODES]
    if not distinct or not (names or all(v.isdigit() for v in distinct)):
        return names
    st.markdown(
        "**What each severity code is called** (the contract's severity map reads the name)"
    )
    cols = st.columns(4)
    for j, code in enumerate(distinct):
        name = cols[j % 4].text_input(
            f"Severity “{code}”",
            value=names.get(code.lower(), ""),
            max_chars=200,
            key=f"rb:{scope}:severity:{code}",
        )
        if name.strip():
            names[code.lower()] = name.strip()
        else:
            names.pop(code.lower(), None)
    return names
