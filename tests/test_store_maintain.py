"""The worker's store job: files superseded by later batches are removed once out of the retention
window, the figures and the next batch are unaffected, and a compaction that loses the race to a
batch yields instead of failing."""

from __future__ import annotations

from pathlib import Path

import pytest
from deltalake.exceptions import CommitFailedError
from helpers import terms_doc
from test_store_concurrency import export, reported_tickets

from sla_engine.errors import StoreError
from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store
from sla_engine.store.maintain import maintain, retention_hours


def data_files(store: Store) -> set[Path]:
    """The table's data files (the log's checkpoints aside)."""
    table = Path(store.table.location.uri)
    return {p for p in table.rglob("*.parquet") if "_delta_log" not in p.parts}


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    return s


def test_an_empty_store_has_nothing_to_maintain(tmp_path):
    assert maintain(Store(tmp_path / "nothing"), hours=1) is None


def test_superseded_files_go_and_the_figures_and_next_batch_stay(store, tmp_path):
    for i in range(3):  # each batch rewrites the same months: old files pile up
        ingest(store, export(tmp_path / f"{i}.csv", i * 10, 40), profile="generic")
    before = reported_tickets(store)
    piled = data_files(store)

    kept = maintain(store, hours=1)  # inside the window: nothing is removed yet
    assert kept is not None and kept.files_removed == 0
    assert data_files(store) >= piled

    done = maintain(store, hours=0)
    assert done is not None and done.files_removed > 0
    assert len(data_files(store)) == len(piled) - done.files_removed
    assert reported_tickets(store) == before == 60
    ingest(store, export(tmp_path / "next.csv", 1000, 5), profile="generic")
    assert reported_tickets(store) == 65


def test_a_compaction_that_loses_to_a_batch_is_deferred(store, tmp_path, monkeypatch):
    ingest(store, export(tmp_path / "a.csv", 0, 10), profile="generic")
    from deltalake.table import TableOptimizer

    def lost(self, **kwargs):
        raise CommitFailedError("a concurrent transaction removed files this one read")

    monkeypatch.setattr(TableOptimizer, "compact", lost)
    done = maintain(store, hours=1)
    assert done is not None and done.compaction_deferred
    assert "deferred" in done.text()
    assert reported_tickets(store) == 10


@pytest.mark.parametrize(("raw", "message"), [("0", "shorter than"), ("soon", "not whole hours")])
def test_a_retention_too_short_or_not_a_number_is_refused(monkeypatch, raw, message):
    monkeypatch.setenv("COVENANT_STORE_RETENTION_HOURS", raw)
    with pytest.raises(StoreError, match=message):
        retention_hours()
