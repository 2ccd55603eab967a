"""Small batches append change sets instead of rewriting months (sla_engine/store/table.py): what
the store reads is always what one load of the final truth would read — after changed tickets,
after deletions (tombstones), after a large batch that rewrites the months over older change sets,
and after the worker's compaction folds the change sets into the months."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sla_engine.ingest.run import ingest
from sla_engine.ledger.register import register_terms
from sla_engine.reports import analysis
from sla_engine.rulebook.terms import load_terms
from sla_engine.store import gen_files
from sla_engine.store.cache import derive_into
from sla_engine.store.core import Store
from sla_engine.store.maintain import maintain
from sla_engine.store.table import ticket_parts

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = analysis.parse_as_of("2026-01-01T00:00:00Z")
HEADER = "Id,Priority,Status,Created at,Solved at,Updated at\n"


def rows(n: int, shift_hours: int = 0) -> dict[int, str]:
    """n solved tickets spread over 2025 (one line each, by ticket id)."""
    out = {}
    for i in range(1, n + 1):
        created = pd.Timestamp("2025-01-02T15:00:00Z") + pd.Timedelta(hours=29 * i)
        solved = created + pd.Timedelta(hours=2 + i % 30 + shift_hours)
        out[i] = (
            f"{i},{'P1' if i % 2 else 'P2'},solved,{created.isoformat()},{solved.isoformat()},"
            f"{solved.isoformat()}\n"
        )
    return out


def export(path: Path, lines: dict[int, str]) -> Path:
    path.write_text(HEADER + "".join(lines[k] for k in sorted(lines)), encoding="utf-8")
    return path


def new_store(root: Path) -> Store:
    store = Store(root)
    register_terms(store, load_terms(FIXTURES / "acme_terms.json"))
    return store


def load(store: Store, path: Path) -> None:
    ingest(store, path, "zendesk", contract="ACME-2025")


def facts(store: Store) -> pd.DataFrame:
    con = duckdb.connect()
    store.attach(con)
    return con.execute(
        "SELECT contract_id, ticket_id, severity, created_us, first_response_us, resolved_us"
        " FROM base ORDER BY ticket_id"
    ).df()


def same_as_one_load(store: Store, truth: dict[int, str], tmp_path: Path, name: str) -> None:
    oracle = new_store(tmp_path / f"oracle-{name}")
    load(oracle, export(tmp_path / f"truth-{name}.csv", truth))
    pd.testing.assert_frame_equal(facts(store), facts(oracle))
    mine, _ = analysis.store_report(store, AS_OF)
    theirs, _ = analysis.store_report(oracle, AS_OF)
    pd.testing.assert_frame_equal(mine, theirs)


@pytest.fixture
def store(tmp_path) -> Store:
    return new_store(tmp_path / "store")


def test_small_batches_append_change_sets_that_read_as_one_load(store, tmp_path):
    truth = rows(300)
    load(store, export(tmp_path / "all.csv", truth))
    assert ticket_parts(store.snapshot().dt)[1] == []

    later = rows(300, shift_hours=5)
    for i in (3, 50, 111, 200, 299):  # five tickets solved later
        truth[i] = later[i]
    load(store, export(tmp_path / "five.csv", {i: later[i] for i in (3, 50, 111, 200, 299)}))
    assert ticket_parts(store.snapshot().dt)[1] == ["d000002"]
    same_as_one_load(store, truth, tmp_path, "changed")

    gone = {
        7: truth[7].replace(",solved,", ",deleted,"),
        50: truth[50].replace(",solved,", ",deleted,"),
    }
    load(store, export(tmp_path / "gone.csv", gone))
    assert ticket_parts(store.snapshot().dt)[1] == ["d000002", "d000003"]
    del truth[7], truth[50]
    same_as_one_load(store, truth, tmp_path, "deleted")

    folded = maintain(store, hours=1)  # the worker's compaction folds the change sets
    assert folded is not None and folded.change_sets_folded == 2
    assert ticket_parts(store.snapshot().dt)[1] == []
    same_as_one_load(store, truth, tmp_path, "folded")


def test_a_large_batch_rewrites_the_months_and_older_change_sets_do_not_come_back(store, tmp_path):
    load(store, export(tmp_path / "all.csv", rows(300)))
    later = rows(300, shift_hours=5)
    load(store, export(tmp_path / "two.csv", {3: later[3], 4: later[4]}))
    assert ticket_parts(store.snapshot().dt)[1] == ["d000002"]
    much_later = rows(300, shift_hours=9)  # every ticket changed: the months are rewritten
    load(store, export(tmp_path / "every.csv", much_later))
    months, _sets = ticket_parts(store.snapshot().dt)
    assert len(months) == 12
    same_as_one_load(store, much_later, tmp_path, "rewritten")


def derived(gen: Path) -> dict[str, pd.DataFrame]:
    """A generation's three relations by ticket key (tids differ between a layered generation
    and a fresh derive; what they number must not)."""
    con = duckdb.connect()
    for name in gen_files.NAMES:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {gen_files.relation_sql(gen, name)}")
    out = {
        "tickets": con.execute(
            "SELECT * EXCLUDE (tid) FROM tickets ORDER BY contract_id, ticket_id"
        ).df()
    }
    for name in ("status_log", "severity_log"):
        out[name] = con.execute(
            f"SELECT t.contract_id, t.ticket_id, s.* EXCLUDE (tid) FROM {name} s"
            " JOIN tickets t USING (tid) ORDER BY ALL"
        ).df()
    return out


def same_as_a_fresh_derive(store: Store, tmp_path: Path, name: str) -> None:
    """The writer's layered generation holds what a host deriving the snapshot alone holds."""
    fresh = tmp_path / f"fresh-{name}" / "gen"
    fresh.mkdir(parents=True)
    derive_into(store, store.snapshot(), fresh)
    mine, theirs = derived(store.current()), derived(fresh)
    for rel in gen_files.NAMES:
        pd.testing.assert_frame_equal(mine[rel], theirs[rel], obj=rel)


def test_small_batches_add_layers_to_the_cached_generation_and_fold_them_past_the_limit(
    store, tmp_path, monkeypatch
):
    """A small batch derives only its own tickets (a layer over the previous generation's files);
    deletions and replaced tickets drop out; past MAX_LAYERS the layers fold into a new base.
    After each batch the relations equal a derive of the whole snapshot, and the report one load."""
    monkeypatch.setattr(gen_files, "MAX_LAYERS", 2)
    truth = rows(300)
    load(store, export(tmp_path / "all.csv", truth))
    assert gen_files.layers(store.current()) == []

    later = rows(300, shift_hours=7)
    changed = {i: later[i] for i in (3, 111, 299)}
    truth.update(changed)
    load(store, export(tmp_path / "three.csv", changed))
    assert gen_files.layers(store.current()) == [1]
    same_as_a_fresh_derive(store, tmp_path, "changed")

    gone = {111: truth[111].replace(",solved,", ",deleted,")}
    load(store, export(tmp_path / "gone.csv", gone))
    del truth[111]
    assert gen_files.layers(store.current()) == [1, 2]
    same_as_a_fresh_derive(store, tmp_path, "deleted")
    same_as_one_load(store, truth, tmp_path, "layers")

    newer = rows(302, shift_hours=11)  # two new tickets and one changed again: folds first
    brought = {3: newer[3], 301: newer[301], 302: newer[302]}
    truth.update(brought)
    load(store, export(tmp_path / "fold.csv", brought))
    gen = store.current()
    assert gen_files.layers(gen) == [1]
    # the folded base: every ticket but the two this batch brings anew
    count = duckdb.connect().execute(
        "SELECT count(*) FROM read_parquet(?)", [str(gen / "tickets.parquet")]
    )
    assert count.fetchall() == [(len(truth) - 2,)]
    same_as_a_fresh_derive(store, tmp_path, "folded")
    same_as_one_load(store, truth, tmp_path, "folded")
