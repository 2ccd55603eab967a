"""Connections and stores, cached once per process (st.cache_resource), and cached results (st.cache_data)."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from contracts.db import make_engine
from sla_engine import analysis, ledger
from sla_engine.store import Store

ROOT = Path(__file__).resolve().parent.parent


@st.cache_resource
def engine():
    return make_engine()


def store() -> Store:
    return Store(Path(os.environ.get("COVENANT_STORE", ROOT / "data" / "store")))


def generation() -> str | None:
    """Names what the figures are computed from: store generation and SLA terms set (cache key, evidence)."""
    s = store()
    gen = s.current()
    if gen is None:
        return None
    return f"{gen.name}, terms {ledger.fingerprint(s.terms())[:10]}"


def hourly_as_of() -> int:
    """Evaluation instant rounded to the hour: open tickets age, and the cache stays useful."""
    return analysis.now_us() // 3_600_000_000 * 3_600_000_000


def _evaluated(as_of_us: int, contract_id: str | None = None) -> tuple[duckdb.DuckDBPyConnection, list]:
    s = store()
    con = duckdb.connect()
    s.attach(con, only_contract=contract_id)
    terms = s.terms()
    analysis.evaluate_to_table(con, terms, as_of_us)
    return con, terms


@st.cache_data(show_spinner="Computing compliance…")
def monthly_report(generation: str, as_of_us: int) -> pd.DataFrame:
    """Keyed by store generation and terms: an ingest or new terms make a new key, so nothing stale is shown.

    Final tickets come from the generation's SLA ledger; only open ones are evaluated now.
    """
    rep, _ = analysis.store_report(store(), as_of_us)
    return rep


@st.cache_data(show_spinner="Computing credits…")
def monthly_credits(generation: str, as_of_us: int) -> pd.DataFrame:
    s = store()
    return analysis.credits(monthly_report(generation, as_of_us), s.terms())


@st.cache_data(show_spinner="Loading tickets…")
def month_tickets(generation: str, as_of_us: int, contract_id: str, month: str) -> pd.DataFrame:
    """Per-ticket results of one contract-month (drill-down)."""
    con, _ = _evaluated(as_of_us, contract_id)
    return analysis.per_ticket_frame(con, "contract_id = ? AND strftime(month, '%Y-%m') = ?", [contract_id, month])


@st.cache_data(show_spinner=False)
def evidence_files(title: str, facts: tuple[tuple[str, str], ...], trace: pd.DataFrame, sheet: str) -> tuple[bytes, bytes]:
    """XLSX and PDF of a drill-down, built once per view (not on every rerun)."""
    import io

    from contracts.evidence import evidence_pdf

    xlsx = io.BytesIO()
    trace.to_excel(xlsx, index=False, sheet_name=sheet[:31])
    return xlsx.getvalue(), evidence_pdf(title, list(facts), trace)

