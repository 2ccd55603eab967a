"""The incremental SLA ledger: a re-ingest judges only the tickets whose facts changed (plus the
open ones), a changed terms version only its contract; what it keeps must equal a ledger built from
scratch on the same generation, and the report must equal a full evaluation."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import terms_doc
from test_ledger import full_report

from sla_engine.demo import build_demo
from sla_engine.ingest.profiles.base import TICKET_FIELDS
from sla_engine.ingest.run import ingest
from sla_engine.ledger import core as ledger
from sla_engine.ledger.register import register_terms
from sla_engine.reports import analysis
from sla_engine.rulebook.engine import INPUTS
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store
from sla_engine.store.gen_files import relation_sql

DAY = 24 * 3_600_000_000


def from_scratch(gen: Path, terms, tmp: Path) -> ledger.Ledger:
    """The oracle: a full build over a copy of the same generation's evaluation inputs (its
    base and layers read as one relation each, written as one file)."""
    copy = tmp / "scratch" / gen.name
    copy.mkdir(parents=True)
    for name in INPUTS:
        target = str(copy / f"{name}.parquet").replace("'", "''")
        duckdb.execute(f"COPY (SELECT * FROM {relation_sql(gen, name)}) TO '{target}'")
    led = ledger.build(copy, terms)
    assert led.built == "full"
    return led


def kept(led: ledger.Ledger) -> pd.DataFrame:
    rows = duckdb.sql(ledger.finals(led)).df().drop(columns=["part"])
    return rows.sort_values(["contract_id", "ticket_id"]).reset_index(drop=True)


def totals(led: ledger.Ledger) -> pd.DataFrame:
    t = duckdb.sql(f"SELECT * FROM read_parquet('{led.totals}')").df()
    return t.sort_values(list(t.columns)).reset_index(drop=True)


def live(led: ledger.Ledger) -> set[tuple[str, str]]:
    df = duckdb.sql(f"SELECT contract_id, ticket_id FROM read_parquet('{led.live('tickets')}')")
    return set(map(tuple, df.fetchall()))


def assert_same_as_scratch(store: Store, tmp: Path) -> ledger.Ledger:
    led = ledger.load(store.current(), store.terms())
    assert led is not None
    oracle = from_scratch(store.current(), store.terms(), tmp)
    pd.testing.assert_frame_equal(kept(led), kept(oracle), check_dtype=False)
    pd.testing.assert_frame_equal(totals(led), totals(oracle), check_dtype=False)
    assert live(led) == live(oracle)
    assert (led.final_tickets, led.live_tickets) == (oracle.final_tickets, oracle.live_tickets)
    assert led.settled_us >= oracle.settled_us
    for after in (0, 30 * DAY):
        rep, how = analysis.store_report(store, led.settled_us + after)
        assert how == "ledger"
        pd.testing.assert_frame_equal(rep, full_report(store, led.settled_us + after))
    return led


def newer_export(export: Path, out: Path, seed: int) -> tuple[Path, Path, int]:
    """The demo export a month on: 2 % of the tickets changed (later resolutions, the open ones
    resolved, a reopening), 40 new tickets. Returns the two files and how many tickets changed."""
    rng = np.random.default_rng(seed)
    t = pd.read_csv(export / "tickets.csv", dtype=str, keep_default_na=False)
    h = pd.read_csv(export / "history.csv", dtype=str, keep_default_na=False)
    n = len(t)
    resolved = np.flatnonzero(t["resolved_at"].to_numpy() != "")
    later = rng.choice(resolved, size=n // 100, replace=False)
    stamps = pd.to_datetime(t.loc[later, "resolved_at"]) + pd.Timedelta(days=3)
    t.loc[later, "resolved_at"] = stamps.map(lambda ts: ts.isoformat())
    open_rows = np.flatnonzero(t["resolved_at"].to_numpy() == "")
    t.loc[open_rows, "first_response_at"] = t.loc[open_rows, "created_at"]
    t.loc[open_rows, "resolved_at"] = "2026-11-02T10:00:00+00:00"
    with_history = h["ticket_id"].drop_duplicates().sample(n // 100, random_state=seed)
    reopen = pd.DataFrame(
        {
            "ticket_id": np.repeat(with_history.to_numpy(), 2),
            "changed_at": ["2026-11-03T09:00:00+00:00", "2026-11-05T09:00:00+00:00"]
            * len(with_history),
            "field": "status",
            "value": ["open", "solved"] * len(with_history),
        }
    )
    h = pd.concat([h, reopen], ignore_index=True)
    new = t.iloc[:40].copy()
    new["ticket_id"] = [f"NEW-{i:04d}" for i in range(40)]
    t = pd.concat([t, new], ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    t.to_csv(out / "tickets.csv", index=False)
    h.to_csv(out / "history.csv", index=False)
    changed = len(set(t.loc[later, "ticket_id"]) | set(t.loc[open_rows, "ticket_id"]))
    return out / "tickets.csv", out / "history.csv", changed + len(with_history) + 40


@pytest.fixture
def demo(tmp_path) -> Store:
    build_demo(tmp_path / "store")
    return Store(tmp_path / "store")


def test_a_newer_export_judges_only_what_changed_and_equals_a_build_from_scratch(demo, tmp_path):
    first = ledger.load(demo.current(), demo.terms())
    assert first is not None and first.built == "full"
    tickets, history, changed = newer_export(tmp_path / "demo-export", tmp_path / "newer", 1)
    rep = ingest(demo, tickets, "generic", history=history)
    assert rep.tickets_updated + rep.tickets_loaded == pytest.approx(changed, abs=changed // 20)
    led = assert_same_as_scratch(demo, tmp_path)
    assert led.built == "incremental" and led.parts == (1, 2)
    # judged: what this export changed or added, plus the tickets open before it
    assert led.judged == rep.tickets_updated + rep.tickets_loaded + first.live_tickets - (
        len(live(first) & _changed_keys(demo))
    )
    assert led.judged < (led.final_tickets + led.live_tickets) // 10


def _changed_keys(store: Store) -> set[tuple[str, str]]:
    """Tickets whose row the newest batch loaded or updated."""
    con = duckdb.connect()
    store.attach(con)
    newest = con.execute("SELECT max(batch_id) FROM base").fetchone()[0]
    rows = con.execute("SELECT contract_id, ticket_id FROM base WHERE batch_id = ?", [newest])
    return set(map(tuple, rows.fetchall()))


def test_a_chain_of_newer_exports_stays_equal_to_a_build_from_scratch(demo, tmp_path):
    source = tmp_path / "demo-export"
    for seed in (2, 3, 4):
        tickets, history, _ = newer_export(source, tmp_path / f"newer-{seed}", seed)
        ingest(demo, tickets, "generic", history=history)
        source = tickets.parent
    led = assert_same_as_scratch(demo, tmp_path)
    assert led.parts == (1, 2, 3, 4) and led.voided > 0


def test_too_many_rejudged_rows_make_the_next_build_full(demo, tmp_path, monkeypatch):
    monkeypatch.setattr(ledger, "VOID_SHARE", 0.0)
    tickets, history, _ = newer_export(tmp_path / "demo-export", tmp_path / "a", 5)
    ingest(demo, tickets, "generic", history=history)
    assert ledger.load(demo.current(), demo.terms()).built == "incremental"  # nothing voided yet
    tickets, history, _ = newer_export(tickets.parent, tmp_path / "b", 6)
    ingest(demo, tickets, "generic", history=history)
    led = assert_same_as_scratch(demo, tmp_path)
    assert led.built == "full" and led.parts == (1,)


def test_changed_terms_rejudge_only_their_contract(demo, tmp_path):
    con = duckdb.connect()
    demo.attach(con)
    per_contract = dict(
        con.execute("SELECT contract_id, count(*) FROM tickets GROUP BY 1").fetchall()
    )
    before = ledger.load(demo.current(), demo.terms())
    target = next(t for t in demo.terms() if t.contract_id == "GLOBEX-EU")
    doc = target.model_dump(mode="json")
    for tier in doc["tiers"].values():
        tier["resolution_minutes"] = tier["resolution_minutes"] / 2
    register_terms(demo, parse_terms(doc))
    led = assert_same_as_scratch(demo, tmp_path)
    assert led.built == "incremental"
    others_open = sum(1 for c, _ in live(before) if c != "GLOBEX-EU")
    assert led.judged == per_contract["GLOBEX-EU"] + others_open


def test_a_contract_whose_terms_appear_later_is_judged_then(tmp_path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    f = tmp_path / "a.csv"
    pd.DataFrame(
        [
            ("T1", "ACME", "P2", "2025-03-04T10:00:00-05:00", "2025-03-04T10:30:00-05:00", ""),
            ("T2", "BETA", "P2", "2025-03-04T10:00:00-05:00", "2025-03-04T10:30:00-05:00", ""),
        ],
        columns=TICKET_FIELDS,
    ).to_csv(f, index=False)
    f2 = tmp_path / "b.csv"
    pd.read_csv(f).assign(resolved_at="2025-03-04T12:00:00-05:00").to_csv(f2, index=False)
    ingest(store, f, "generic")
    register_terms(store, parse_terms(terms_doc(contract_id="BETA")))
    ingest(store, f2, "generic")
    led = assert_same_as_scratch(store, tmp_path)
    assert led.final_tickets == 2 and led.built == "incremental"


KILLED_BUILD = """
import sys, time
from pathlib import Path
from sla_engine.ledger import core as ledger
from sla_engine.ledger import build as ledger_build
from sla_engine.store.core import Store
store = Store(Path(sys.argv[1]))
real = ledger_build._write_totals
def stall(*a, **k):  # the build is half done: parts written, totals not yet
    print("inside", flush=True)
    time.sleep(60)
    return real(*a, **k)
ledger_build._write_totals = stall
gen = store.current()
terms = store.terms()
ledger.build(gen, terms[:-1])  # a terms list whose ledger does not exist yet
"""


def test_a_build_killed_midway_leaves_no_ledger_and_its_folder_is_dropped(demo):
    import os
    import signal
    import subprocess
    import sys

    gen = demo.current()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(demo.root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert proc.stdout is not None
    with proc.stdout:
        assert proc.stdout.readline().strip() == "inside"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert list(gen.glob(".sla-*.tmp")), "the killed build's folder is there"
    terms = demo.terms()[:-1]
    assert ledger.load(gen, terms) is None  # nothing half-written is ever read
    led = ledger.build(gen, terms, ledger.latest(gen))
    assert not list(gen.glob(".sla-*.tmp"))  # dropped by the next build
    rep, how = analysis.store_report(demo, led.settled_us)
    assert how == "ledger"
    pd.testing.assert_frame_equal(rep, full_report(demo, led.settled_us))
