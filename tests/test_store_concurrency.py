"""Several processes on one store: ingests queue on the writer lock, readers never block, and every
report reads one generation whole (the one its cache key names), whatever is published meanwhile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import terms_doc

from sla_engine.errors import StoreError
from sla_engine.ingest.run import ingest
from sla_engine.reports import analysis
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store
from sla_engine.store.gen_files import relation_sql
from sla_engine.store.table import Table

ROOT = Path(__file__).resolve().parents[1]
AS_OF = analysis.parse_as_of("2026-01-01T00:00:00Z")
HEADER = ["ticket_id", "contract_id", "severity", "created_at", "first_response_at", "resolved_at"]


def export(path: Path, first: int, n: int) -> Path:
    """n resolved tickets numbered from `first`, spread over 2025 (every one measured)."""
    rows = []
    for i in range(first, first + n):
        day = pd.Timestamp("2025-01-02T14:00:00Z") + pd.Timedelta(hours=7 * (i % 1200))
        rows.append(
            (
                f"T{i}",
                "ACME",
                "P1" if i % 3 else "P2",
                day.isoformat(),
                (day + pd.Timedelta(minutes=5 + i % 50)).isoformat(),
                (day + pd.Timedelta(hours=1 + i % 9)).isoformat(),
            )
        )
    pd.DataFrame(rows, columns=HEADER).to_csv(path, index=False)
    return path


def stored_tickets(gen: Path) -> int:
    """The generation's tickets: its base and every layer small batches added (gen_files.py)."""
    query = f"SELECT count(*) FROM {relation_sql(gen, 'tickets')}"
    return int(duckdb.connect().execute(query).fetchone()[0])


def reported_tickets(store: Store) -> int:
    rep, _ = analysis.store_report(store, AS_OF)
    return int(rep.loc[rep["metric"] == "response", "tickets"].sum())


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    return s


def test_a_report_pinned_to_a_generation_reads_it_after_a_newer_one_is_published(store, tmp_path):
    ingest(store, export(tmp_path / "a.csv", 0, 40), profile="generic")
    first = store.current()
    assert first is not None
    ingest(store, export(tmp_path / "b.csv", 40, 25), profile="generic")
    assert reported_tickets(store) == 65  # the current generation
    assert reported_tickets(store.pinned(first.name)) == 40  # the one a page's cache key named


@pytest.mark.parametrize("name", ["../gen-000001", "gen-1", "CURRENT", "gen-000001/..", ""])
def test_a_pinned_store_takes_only_a_generation_name(store, name):
    with pytest.raises(StoreError, match="is not a store generation"):
        store.pinned(name)


def test_a_pinned_store_is_read_only_and_says_when_its_generation_is_gone(store, tmp_path):
    gone = store.pinned("gen-000009")
    with pytest.raises(StoreError, match="no longer in the store: reload"):
        gone.current()
    with pytest.raises(StoreError, match="read-only"):
        gone.add_terms(parse_terms(terms_doc(contract_id="OTHER")))
    assert {t.contract_id for t in store.terms()} == {"ACME"}


READER = """
import json, sys, time
from pathlib import Path
import duckdb
from sla_engine.reports import analysis
from sla_engine.store.gen_files import relation_sql
from sla_engine.store.core import Store
root, stop, as_of = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
store = Store(root)
last = False
while not last:
    last = stop.exists()  # one more read after the ingests are done: the final generation
    name = store.current().name  # what a page run names in its cache keys
    rep, how = analysis.store_report(store.pinned(name), as_of)
    reported = int(rep.loc[rep['metric'] == 'response', 'tickets'].sum())
    gen = root / 'cache' / name
    stored = duckdb.connect().execute(
        f"SELECT count(*) FROM {relation_sql(gen, 'tickets')}"
    ).fetchone()[0]
    print(json.dumps([name, reported, int(stored), how]), flush=True)
"""


def test_two_ingests_and_two_readers_at_once_lose_nothing_and_read_whole_generations(
    store, tmp_path
):
    """Real processes: two CLI ingests started together queue on the store's lock and both land;
    two readers report throughout, each report from one generation, never a mix or an error."""
    ingest(store, export(tmp_path / "seed.csv", 0, 500), profile="generic")
    batches = [export(tmp_path / "a.csv", 10_000, 3_000), export(tmp_path / "b.csv", 20_000, 2_000)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(store.root), str(stop), str(AS_OF)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.0)  # the readers are reading before the ingests start
    ingests = [
        subprocess.Popen(
            [sys.executable, "-m", "sla_engine", "--store", str(store.root), "ingest", str(f)]
            + ["--profile", "generic"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in batches
    ]
    outs = [p.communicate(timeout=300) for p in ingests]
    stop.touch()
    reads = [p.communicate(timeout=300) for p in readers]

    for p, (_out, err) in zip(ingests, outs, strict=True):
        assert p.returncode == 0, err
    assert any("3000 in = 3000 loaded" in out for out, _ in outs), outs
    assert any("2000 in = 2000 loaded" in out for out, _ in outs), outs
    final = store.current()
    assert final is not None and final.name == "gen-000003"  # seed, then one per ingest
    assert stored_tickets(final) == 5_500

    possible = {500, 3_500, 2_500, 5_500}  # the seed, either batch first, both
    for p, (out, err) in zip(readers, reads, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
        lines = [json.loads(line) for line in out.splitlines()]
        assert len(lines) >= 2
        for name, reported, stored, _how in lines:
            assert reported == stored, (name, reported, stored)  # one generation, whole
            assert stored in possible
        assert lines[-1][:3] == ["gen-000003", 5_500, 5_500]
    seen = {name for p_out, _ in reads for name, *_ in map(json.loads, p_out.splitlines())}
    assert "gen-000001" in seen  # they read while the ingests ran, not only after


def test_an_ingest_another_writer_beats_says_it_waits_then_merges_onto_its_version(
    store, tmp_path, monkeypatch
):
    """No lock: a writer whose commit loses the race to another one (here a second handle on the
    same table, as on another host) says it waits, merges again onto the new version, and
    nothing either of them loaded is lost."""
    ingest(store, export(tmp_path / "seed.csv", 0, 10), profile="generic")
    other = Store(store.root)
    real_commit = Table.commit
    raced: list[int] = []

    def commit_after_the_other(self, dt, rows, replaced):
        if not raced:  # the other writer commits between this one's read and its commit
            raced.append(0)
            raced[0] = ingest(other, export(tmp_path / "b.csv", 100, 20), "generic").batch_id
        return real_commit(self, dt, rows, replaced)

    monkeypatch.setattr(Table, "commit", commit_after_the_other)
    phases: list[str] = []
    report = ingest(
        store,
        export(tmp_path / "a.csv", 10, 30),
        profile="generic",
        progress=lambda phase, done: phases.append(phase),
    )
    assert raced == [2]
    assert phases == ["read", "validate", "merge", "ledger", "waiting", "merge", "ledger"]
    assert report.batch_id == 3 and report.loaded_rows == 30
    con = duckdb.connect()
    store.attach(con)
    assert con.execute("SELECT count(*) FROM tickets").fetchone()[0] == 60
    assert [int(b) for b in store.batches()["batch_id"]] == [1, 2, 3]


def test_without_another_writer_no_wait_is_said(store, tmp_path):
    phases: list[str] = []
    ingest(
        store,
        export(tmp_path / "a.csv", 0, 5),
        profile="generic",
        progress=lambda phase, done: phases.append(phase),
    )
    assert phases == ["read", "validate", "merge", "ledger"]
