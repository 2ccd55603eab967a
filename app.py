"""Covenant: SLA compliance overview (placeholder home page until the dashboard lands).

The page reads its widgets, calls the engine, renders the result; caching stays here.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from sla_engine import analysis
from sla_engine.errors import SlaEngineError
from sla_engine.store import Store

STORE = Path(os.environ.get("COVENANT_STORE", Path(__file__).parent / "data" / "store"))

st.set_page_config(page_title="Covenant: SLA compliance", page_icon=":material/verified:", layout="wide")


@st.cache_data(show_spinner="Computing compliance…")
def monthly_report(store_root: str, generation: str, as_of_us: int) -> pd.DataFrame:
    """Report for one store generation (a new ingest makes a new cache key)."""
    store = Store(Path(store_root))
    con = duckdb.connect()
    store.attach(con)
    terms = store.terms()
    analysis.evaluate_to_table(con, terms, as_of_us)
    return analysis.monthly_report(con, terms)


st.title("SLA compliance")
store = Store(STORE)
try:
    gen = store.current()
    if gen is None:
        st.info("No tickets yet. Run `make run` (it loads the demo) or "
                "`python -m sla_engine ingest FILE --profile NAME --contract ID`.")
        st.stop()
    # hourly as-of keeps the cache useful while open tickets still age
    as_of = analysis.now_us() // 3_600_000_000 * 3_600_000_000
    report = monthly_report(str(STORE), gen.name, as_of)
except SlaEngineError as exc:
    st.error(f"{exc}")
    st.stop()

contracts = sorted(report["contract_id"].unique())
c1, c2 = st.columns([2, 1])
contract = c1.selectbox("Contract", contracts, key="contract")
metric = c2.radio("Metric", ["response", "resolution"], horizontal=True, key="metric")
view = report[(report["contract_id"] == contract) & (report["metric"] == metric)]
latest = view["month"].max()
st.subheader(f"{contract}: {metric} compliance, {latest}")
cols = st.columns(max(1, view["severity"].nunique()))
for col, (_, row) in zip(cols, view[view["month"] == latest].iterrows()):
    pct = "n/a" if pd.isna(row["compliance_pct"]) else f"{row['compliance_pct']:.1f} %"
    col.metric(f"{row['severity']} (target {row['target_pct']:.0f} %)", pct, help=f"{row['status']}")
st.dataframe(view.drop(columns=["contract_id", "metric"]), hide_index=True, width="stretch")
