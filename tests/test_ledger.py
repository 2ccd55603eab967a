"""The SLA ledger: results kept with a generation must equal a full evaluation, and never go
stale."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import terms_doc

from sla_engine.demo import build_demo
from sla_engine.ingest.run import ingest
from sla_engine.ledger import core as ledger
from sla_engine.reports import analysis
from sla_engine.rulebook.engine import evaluate_relation
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store
from sla_engine.store.gen_files import relation_sql

HOUR = 3_600_000_000
DAY = 24 * HOUR


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Store:
    root = tmp_path_factory.mktemp("ledger") / "store"
    build_demo(root)
    return Store(root)


def full_report(store: Store, as_of_us: int) -> pd.DataFrame:
    con = duckdb.connect()
    store.attach(con)
    return analysis.monthly_report(con, store.terms(), as_of_us)


def test_ingest_publishes_the_generation_with_its_ledger(demo):
    led = ledger.load(demo.current(), demo.terms())
    assert led is not None
    n = duckdb.sql(f"SELECT count(*) FROM {relation_sql(demo.current(), 'tickets')}").fetchall()[0][
        0
    ]
    assert (
        led.final_tickets + led.live_tickets == n
    )  # every demo ticket has terms: all accounted for
    assert 0 < led.live_tickets < led.final_tickets


def test_final_results_equal_a_full_evaluation_ticket_by_ticket(demo):
    led = ledger.load(demo.current(), demo.terms())
    con = duckdb.connect()
    demo.attach(con)
    ev = evaluate_relation(con, demo.terms(), led.settled_us).sql_query()
    full = con.execute(
        f"WITH ev AS ({ev}) SELECT t.contract_id, t.ticket_id, x.terms_id, ev.month,"
        " a.severity AS resp_sev, b.severity AS res_sev, ev.resp_met, ev.res_met,"
        " ev.resp_done AND ev.res_done AS final FROM ev JOIN tickets t USING (tid)"
        " JOIN (SELECT DISTINCT terms_key, terms_id FROM t_tiers) x ON x.terms_key = ev.terms_key"
        " JOIN t_tiers a ON a.tier_key = ev.resp_tier_key"
        " JOIN t_tiers b ON b.tier_key = ev.res_tier_key"
    ).df()
    kept = con.execute(ledger.finals(led)).df().drop(columns=["part"])
    key = ["contract_id", "ticket_id"]
    merged = kept.merge(full, on=key, suffixes=("_ledger", "_full"), validate="one_to_one")
    assert len(merged) == len(kept) == led.final_tickets
    assert merged["final"].all()
    for col in ("terms_id", "month", "resp_sev", "res_sev", "resp_met", "res_met"):
        pd.testing.assert_series_equal(
            merged[f"{col}_ledger"], merged[f"{col}_full"], check_names=False, check_dtype=False
        )
    live = set(full.loc[~full["final"], "ticket_id"])
    live_stored = set(
        duckdb.sql(f"SELECT ticket_id FROM read_parquet('{led.live('tickets')}')").df()["ticket_id"]
    )
    assert live == live_stored and not live & set(kept["ticket_id"])


@pytest.mark.parametrize("after", [0, HOUR, 30 * DAY, 400 * DAY])
def test_report_from_the_ledger_equals_the_full_report(demo, after):
    as_of = ledger.load(demo.current(), demo.terms()).settled_us + after
    rep, how = analysis.store_report(demo, as_of)
    assert how == "ledger"
    pd.testing.assert_frame_equal(rep, full_report(demo, as_of))
    assert rep["tickets"].sum() > 10_000


def test_an_instant_before_the_latest_fact_is_evaluated_in_full(demo):
    as_of = ledger.load(demo.current(), demo.terms()).settled_us - 90 * DAY
    rep, how = analysis.store_report(demo, as_of)
    assert how == "full"
    pd.testing.assert_frame_equal(rep, full_report(demo, as_of))


def test_contract_filter(demo):
    as_of = ledger.load(demo.current(), demo.terms()).settled_us
    rep, _ = analysis.store_report(demo, as_of, "GLOBEX-EU")
    assert set(rep["contract_id"]) == {"GLOBEX-EU"}
    full = full_report(demo, as_of)
    pd.testing.assert_frame_equal(
        rep, full[full["contract_id"] == "GLOBEX-EU"].reset_index(drop=True)
    )


def _write(path: Path, rows: list[tuple]) -> Path:
    pd.DataFrame(
        rows, columns=["ticket_id", "severity", "created_at", "first_response_at", "resolved_at"]
    ).to_csv(path, index=False)
    return path


def test_new_terms_and_newer_exports_never_read_a_stale_ledger(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    # P2, business clock: created Tue 10:00, resolved 12:00 the same day = 120 business minutes
    # (target 960)
    first = _write(
        tmp_path / "a.csv",
        [
            (
                "T1",
                "P2",
                "2025-03-04T10:00:00-05:00",
                "2025-03-04T10:30:00-05:00",
                "2025-03-04T12:00:00-05:00",
            )
        ],
    )
    ingest(store, first, "generic", contract="ACME")
    as_of = 1_767_225_600_000_000  # 2026-01-01
    rep, how = analysis.store_report(store, as_of)
    res = rep[rep["metric"] == "resolution"].iloc[0]
    assert how == "ledger" and (res["met"], res["breached"]) == (1, 0)

    # a newer export: the ticket was resolved only a week later -> breached
    newer = _write(
        tmp_path / "b.csv",
        [
            (
                "T1",
                "P2",
                "2025-03-04T10:00:00-05:00",
                "2025-03-04T10:30:00-05:00",
                "2025-03-11T12:00:00-04:00",
            )
        ],
    )
    ingest(store, newer, "generic", contract="ACME")
    rep, how = analysis.store_report(store, as_of)
    res = rep[rep["metric"] == "resolution"].iloc[0]
    assert how == "ledger" and (res["met"], res["breached"]) == (0, 1)

    # tighter terms registered for the same contract: a new ledger, the old one is not reused
    old_dir = ledger.ledger_dir(store.current(), store.terms())
    tighter = terms_doc(contract_id="ACME")
    tighter["tiers"]["P2"]["response_minutes"] = 15
    store.add_terms(parse_terms(tighter))
    assert ledger.load(store.current(), store.terms()) is None
    rep, how = analysis.store_report(store, as_of)
    resp = rep[rep["metric"] == "response"].iloc[0]
    assert how == "ledger" and (resp["met"], resp["breached"]) == (0, 1)
    assert ledger.ledger_dir(store.current(), store.terms()) != old_dir


def test_an_open_ticket_ages_from_pending_to_breached(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    f = _write(
        tmp_path / "a.csv", [("T1", "P1", "2025-03-04T10:00:00-05:00", "", "")]
    )  # P1: 30 min, calendar
    ingest(store, f, "generic", contract="ACME")
    led = ledger.load(store.current(), store.terms())
    assert (led.final_tickets, led.live_tickets) == (0, 1)
    created = led.settled_us
    soon, _ = analysis.store_report(store, created + 10 * 60_000_000)
    late, _ = analysis.store_report(store, created + 31 * 60_000_000)
    pick = lambda r: tuple(r[r["metric"] == "response"].iloc[0][["met", "breached", "pending"]])  # noqa: E731
    assert pick(soon) == (0, 0, 1) and pick(late) == (0, 1, 0)
