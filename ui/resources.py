"""Connections and stores, cached once per process (st.cache_resource), and cached results
(st.cache_data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

import config
from contracts.adapters import audit_anchor
from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import ContractsError
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.readers import RawExport
from sla_engine.ledger import core as ledger
from sla_engine.reports import analysis
from sla_engine.sqlfiles import connect
from sla_engine.store.core import Store

ROOT = Path(__file__).resolve().parent.parent


@st.cache_resource
def engine() -> Engine:
    """The process's engine; at start, a checkpoint of the audit trail when one is due (the
    cadence audit_anchor.py checks; a seal that cannot sign is left to the Audit page to say)."""
    eng = make_engine()
    try:
        audit_anchor.checkpoint_if_due(UnitOfWork(eng))
    except (ContractsError, OSError):
        pass  # the Audit page's "Verify" reports a trail left unanchored, with the reason
    return eng


def served_at() -> str | None:
    """The app's own origin as this browser reached it (scheme://host[:port]), for signing links."""
    from urllib.parse import urlsplit

    url = getattr(st.context, "url", None)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def unit_of_work() -> UnitOfWork:
    """A unit of work on the app's database, for one service call."""
    return UnitOfWork(engine())


def store() -> Store:
    return Store(Path(config.get("COVENANT_STORE") or ROOT / "data" / "store"))


def generation() -> str | None:
    """Names what the figures are computed from: store generation and SLA terms set (cache key,
    evidence)."""
    s = store()
    gen = s.current()
    if gen is None:
        return None
    return f"{gen.name}, terms {ledger.fingerprint(s.terms())[:10]}"


def at(generation: str) -> Store:
    """The store read at the generation a cache key names (generation() made it): a page run's
    figures come from that generation even if an ingest commits another meanwhile."""
    return store().pinned(generation.split(",", 1)[0])


def generation_or_stop(empty: str) -> str:
    """The current generation's key; with an empty store, `empty` (what to do next) and the page
    stops."""
    gen = generation()
    if gen is None:
        st.info(empty)
        st.stop()
    return gen


def hourly_as_of() -> int:
    """Evaluation instant rounded to the hour: open tickets age, and the cache stays useful."""
    return analysis.now_us() // 3_600_000_000 * 3_600_000_000


def _evaluated(
    generation: str,
    as_of_us: int,
    contract_id: str | None = None,
    created_between: tuple[int, int] | None = None,
) -> tuple[duckdb.DuckDBPyConnection, list]:
    s = at(generation)
    con = connect()
    s.attach(con, only_contract=contract_id, created_between=created_between)
    terms = s.terms()
    analysis.evaluate_to_table(con, terms, as_of_us)
    return con, terms


@st.cache_data(show_spinner="Computing compliance…")
def monthly_report(generation: str, as_of_us: int) -> pd.DataFrame:
    """Keyed by store generation and terms: an ingest or new terms make a new key, so nothing stale
    is shown.

    Final tickets come from the generation's SLA ledger; only open ones are evaluated now.
    """
    rep, _ = analysis.store_report(at(generation), as_of_us)
    return rep


@st.cache_data(show_spinner=False, max_entries=4)
def unmeasured(generation: str) -> dict[str, str]:
    """Per contract, what the store holds that no terms version judges (a sentence), if any."""
    from sla_engine.reports.coverage import store_uncovered

    return {u.contract_id: u.note() for u in store_uncovered(at(generation))}


@st.cache_data(show_spinner="Computing credits…")
def monthly_credits(generation: str, as_of_us: int) -> pd.DataFrame:
    s = store()
    return analysis.credits(monthly_report(generation, as_of_us), s.terms())


@st.cache_data(show_spinner="Loading tickets…")
def month_tickets(generation: str, as_of_us: int, contract_id: str, month: str) -> pd.DataFrame:
    """Per-ticket results of one contract-month (drill-down): only the tickets created within a
    day of the month are evaluated (a local month starts at most 14 hours from the UTC one); the
    filter on the local month below keeps exactly that month's."""
    con, _ = _evaluated(generation, as_of_us, contract_id, analysis.month_window_us(month))
    return analysis.per_ticket_frame(
        con, "contract_id = ? AND strftime(month, '%Y-%m') = ?", [contract_id, month]
    )


@st.cache_data(show_spinner=False)
def evidence_xlsx(trace: pd.DataFrame, sheet: str) -> bytes:
    """The drill-down as a workbook, built once per view."""
    from sla_engine.reports.exports import xlsx_bytes

    return xlsx_bytes({sheet: trace})


@st.cache_data(show_spinner=False)
def evidence_pdf_file(
    title: str,
    facts: tuple[tuple[str, str], ...],
    trace: pd.DataFrame,
    generation: str,
    as_of_us: int,
    contract_id: str,
) -> bytes:
    """The evidence PDF, with each breached ticket explained by the engine's timeline. Built when
    the user asks for it (the download button calls it), then cached."""
    from flows.evidence import evidence_pack_pdf

    return evidence_pack_pdf(at(generation), title, list(facts), trace, contract_id, as_of_us)


@st.cache_data(show_spinner="Drawing the renewal brief…", max_entries=8)
def renewal_brief(generation: str, as_of_us: int, terms: tuple, today) -> bytes:
    """The renewal brief PDF of the chosen contracts (`terms`: (contract, ContractTerm) pairs),
    built once per view."""
    from flows.renewal_brief import renewal_brief_pdf

    chosen = [cid for cid, _ in terms]
    rep, cr = monthly_report(generation, as_of_us), monthly_credits(generation, as_of_us)
    as_of_text = f"{pd.Timestamp(as_of_us, unit='us', tz='UTC'):%Y-%m-%d %H:%M} UTC"
    return renewal_brief_pdf(
        rep[rep["contract_id"].isin(chosen)],
        cr[cr["contract_id"].isin(chosen)],
        dict(terms),
        as_of_text,
        today,
        [t for t in store().terms() if t.contract_id in chosen],
    )


@st.cache_resource(show_spinner="Reading the export…", max_entries=4)
def raw_export(path: str) -> RawExport:
    """An uploaded file as read, once: the preview, the read plan and the dry run all start from
    it (its shape checked first: input_limits). Shared, not copied: nothing may change it."""
    from sla_engine.ingest.input_limits import check_shape
    from sla_engine.ingest.readers import read_raw

    check_shape(Path(path))
    return read_raw(Path(path))


def export_table(path: str) -> pd.DataFrame:
    """An uploaded export as a table, for the preview (read-only)."""
    return raw_export(path).table


def export_columns(path: str) -> list[str] | None:
    """A second file's column names, for suggesting the recipe that reads it; None when it
    cannot be read now (the load says why, in its own words)."""
    from sla_engine.errors import SlaEngineError

    try:
        return list(export_table(path).columns)
    except SlaEngineError:
        return None


def routing_key() -> str:
    """The contracts' customer keys and priority labels as they are now (a cache key)."""
    from flows.ingest import routing

    return routing(unit_of_work()).fingerprint()


@st.cache_data(show_spinner="Checking priorities and customers…", max_entries=8)
def unmapped_rows(
    path: str,
    profile: str,
    options_json: str,
    tz: str | None,
    contract: str | None,
    display_name: str,
    routing_fingerprint: str,
    second: str | None = None,
) -> Any:
    """Which priority labels and customers of an upload nothing maps yet (before loading)."""

    from flows.ingest import unmapped

    return unmapped(
        store(),
        unit_of_work(),
        Path(path),
        profile,
        tz=tz,
        contract=contract,
        options=ReadOptions.from_json(options_json),
        display_name=display_name,
        history=Path(second) if second else None,
        raw=raw_export(path),
        raw_history=raw_export(second) if second else None,
    )


@st.cache_data(show_spinner="Mapping the columns…", max_entries=8)
def export_mapping(
    path: str, profile: str, options_json: str, tz: str | None, second: str | None = None
) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """Which column of the export feeds which field, the profile's notes, and what the time
    columns need (flows/ingest.export_plan)."""
    from flows.ingest import export_plan

    plan = export_plan(
        Path(path),
        profile,
        ReadOptions.from_json(options_json),
        tz,
        Path(second) if second else None,
        raw=raw_export(path),
        raw_second=raw_export(second) if second else None,
    )
    return plan.columns, plan.notes, plan.needs


def minute_as_of() -> int:
    """Evaluation instant rounded to the minute (the at-risk list counts down)."""
    return analysis.now_us() // 60_000_000 * 60_000_000


@st.cache_data(show_spinner="Finding open tickets by time to breach…", max_entries=8)
def at_risk_list(generation: str, as_of_us: int) -> pd.DataFrame:
    """Open, not yet breached metrics by breach instant (refreshes with the store, each minute)."""
    from sla_engine.reports.at_risk import at_risk

    return at_risk(at(generation), as_of_us)


@st.cache_data(show_spinner="Drawing the ticket's timeline…", max_entries=32)
def timeline(generation: str, as_of_us: int, contract_id: str, ticket_id: str) -> Any:
    """The engine's SLA timeline of one ticket."""
    from sla_engine.reports.timeline import ticket_timeline

    return ticket_timeline(at(generation), contract_id, ticket_id, as_of_us)


@st.cache_data(show_spinner=False, max_entries=4)
def newest_ticket_instant(generation: str) -> int | None:
    """The latest instant the store's tickets record (the at-risk page says how old it is)."""
    from sla_engine.reports.at_risk import newest_instant

    return newest_instant(at(generation))
