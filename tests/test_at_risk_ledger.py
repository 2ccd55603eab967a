"""The at-risk list reads only the SLA ledger's open tickets when the ledger answers for the
instant; it must list exactly what evaluating every ticket of the store lists."""

from __future__ import annotations

import pandas as pd
import pytest

from sla_engine.demo import build_demo
from sla_engine.ledger import core as ledger
from sla_engine.reports import at_risk as at_risk_mod
from sla_engine.reports.at_risk import at_risk
from sla_engine.store.core import Store

HOUR = 3_600_000_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Store:
    root = tmp_path_factory.mktemp("atrisk") / "store"
    build_demo(root)
    return Store(root)


@pytest.mark.parametrize("after", [0, 2 * HOUR, 30 * 24 * HOUR])
@pytest.mark.parametrize("contract", [None, "GLOBEX-EU"])
def test_the_ledger_path_lists_what_the_whole_store_lists(demo, monkeypatch, after, contract):
    led = ledger.load(demo.current(), demo.terms())
    assert led is not None and led.live_tickets > 0
    as_of = led.settled_us + after
    fast = at_risk(demo, as_of, contract)
    monkeypatch.setattr(at_risk_mod.ledger, "load", lambda gen, terms: None)
    full = at_risk(demo, as_of, contract)
    pd.testing.assert_frame_equal(fast, full)
    if after == 0 and contract is None:
        assert len(fast) > 0  # something is at risk at the store's newest instant
