"""The placeholder home page runs on the demo store and shows compliance (Streamlit AppTest)."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sla_engine.demo import build_demo

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "store"
    build_demo(root)
    return root


def test_home_shows_compliance_for_demo_contract(demo_store, monkeypatch):
    monkeypatch.setenv("COVENANT_STORE", str(demo_store))
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "SLA compliance"
    assert at.selectbox(key="contract").options == ["ACME-SAAS", "GLOBEX-EU", "INITECH-APAC"]
    at.selectbox(key="contract").select("GLOBEX-EU").run()
    assert at.subheader[0].value.startswith("GLOBEX-EU: response compliance")
    df = at.dataframe[0].value
    assert set(df["severity"]) == {"P1", "P2", "P3"} and len(df) == 3 * 24


def test_empty_store_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("COVENANT_STORE", str(tmp_path / "none"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert "No tickets yet" in at.info[0].value
