"""Ingest: quarantine with file/row/column/reason, row accounting, no-op re-ingest, updates,
atomicity."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import FIXTURES, SHARED, terms_doc

from sla_engine.errors import IngestError
from sla_engine.ingest.run import ingest
from sla_engine.ledger.register import register_terms
from sla_engine.reports import analysis
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store import gen_files
from sla_engine.store.core import Store
from sla_engine.store.table import Table

GOOD = [
    (
        "T1",
        "P1",
        "2025-03-04T10:00:00-05:00",
        "2025-03-04T10:10:00-05:00",
        "2025-03-04T12:00:00-05:00",
    ),
    ("T2", "P2", "2025-03-04T11:00:00-05:00", "2025-03-04T12:00:00-05:00", ""),
]


def write_csv(
    path: Path,
    rows,
    header=("ticket_id", "severity", "created_at", "first_response_at", "resolved_at"),
):
    pd.DataFrame(rows, columns=list(header)).to_csv(path, index=False)
    return path


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    return s


def tickets_in(store: Store) -> pd.DataFrame:
    con = duckdb.connect()
    store.attach(con)
    return con.execute("SELECT * FROM base ORDER BY ticket_id").df()


def test_bad_rows_are_quarantined_with_row_column_and_reason(store, tmp_path):
    rows = GOOD + [
        ("T3", "P2", "yesterday-ish", "", ""),
        ("T4", "P7", "2025-03-04T11:00:00-05:00", "", ""),
        ("T5", "P2", "2025-03-04T11:00:00-05:00", "2025-03-04T10:00:00-05:00", ""),
        ("T6", "P2", "2025-03-04T11:00:00-05:00", "", ""),
        ("T6", "P2", "2025-03-04T12:00:00-05:00", "", ""),
        ("", "P2", "2025-03-04T11:00:00-05:00", "", ""),
    ]
    f = write_csv(tmp_path / "t.csv", rows)
    rep = ingest(store, f, "generic", contract="ACME")
    assert (rep.input_rows, rep.loaded_rows, rep.quarantined_rows) == (8, 2, 6)
    assert rep.adds_up and rep.tickets_loaded == 2
    q = store.quarantine().set_index("row")
    assert q.loc[3, "column"] == "created_at" and "unparseable time" in q.loc[3, "reason"]
    assert q.loc[4, "column"] == "severity" and q.loc[4, "reason"] == "unknown severity P7"
    assert q.loc[5, "reason"] == "first response before creation"
    assert "duplicate ticket id" in q.loc[6, "reason"] and "rows 6, 7" in q.loc[7, "reason"]
    assert q.loc[8, "reason"] == "empty ticket id"
    assert set(q["file"]) == {str(f)}


def test_unknown_contract_and_naive_time_without_tz(store, tmp_path):
    f = write_csv(
        tmp_path / "t.csv",
        [
            ("T1", "OTHER", "P1", "2025-03-04T10:00:00-05:00", "", ""),
            ("T2", "ACME", "P1", "2025-03-04 10:00", "", ""),
        ],
        header=(
            "ticket_id",
            "contract_id",
            "severity",
            "created_at",
            "first_response_at",
            "resolved_at",
        ),
    )
    rep = ingest(store, f, "generic")
    q = store.quarantine().set_index("row")
    assert q.loc[1, "reason"] == "unknown contract OTHER: no SLA terms registered"
    assert "needs the export's time zone" in q.loc[2, "reason"]
    assert rep.loaded_rows == 0 and rep.adds_up


def test_no_contract_column_needs_a_stated_contract(store, tmp_path):
    from sla_engine.errors import NoContractColumn

    f = write_csv(tmp_path / "t.csv", GOOD)
    with pytest.raises(NoContractColumn, match="no contract column"):
        ingest(store, f, "generic")
    assert store.current() is None


def test_reingest_is_noop_and_newer_export_updates(store, tmp_path):
    f = write_csv(tmp_path / "t.csv", GOOD)
    first = ingest(store, f, "generic", contract="ACME")
    gen = store.current()
    again = ingest(store, f, "generic", contract="ACME")
    assert again.noop_of == first.batch_id and store.current() == gen
    newer = write_csv(
        tmp_path / "t2.csv",
        [
            GOOD[0],
            GOOD[1][:4] + ("2025-03-05T09:00:00-05:00",),
            ("T9", "P2", "2025-03-06T09:00:00-05:00", "", ""),
        ],
    )
    rep = ingest(store, newer, "generic", contract="ACME")
    assert (rep.unchanged_rows, rep.updated_rows, rep.loaded_rows) == (1, 1, 1)
    base = tickets_in(store).set_index("ticket_id")
    assert len(base) == 3 and not pd.isna(base.loc["T2", "resolved_us"])


def test_progress_follows_the_real_phases_in_order(store, tmp_path):
    seen: list[tuple[str, float, int | None]] = []

    def progress(phase: str, done: float) -> None:
        # what exists when the phase starts: the store's generation before the merge publishes
        seen.append((phase, done, store.generation_number()))

    ingest(
        store, write_csv(tmp_path / "t.csv", GOOD), "generic", contract="ACME", progress=progress
    )
    assert [p for p, _, _ in seen] == ["read", "validate", "merge", "ledger"]
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen) and seen[-1][1] < 1
    assert all(g == 0 for _, _, g in seen)  # told before the work, not after it is published
    assert store.generation_number() == 1
    # a re-ingest of the same bytes reads nothing: no phase to show
    seen.clear()
    ingest(store, tmp_path / "t.csv", "generic", contract="ACME", progress=progress)
    assert seen == []


@pytest.mark.parametrize("kind", ["csv", "csv.gz", "xlsx", "json", "parquet", "parquet.gz"])
def test_file_formats(store, tmp_path, kind):
    df = pd.DataFrame(
        GOOD, columns=["ticket_id", "severity", "created_at", "first_response_at", "resolved_at"]
    )
    path = tmp_path / f"t.{kind}"
    buf = io.BytesIO()
    base = kind.removesuffix(".gz")
    if base == "csv":
        df.to_csv(buf, index=False)
    elif base == "xlsx":
        df.to_excel(buf, index=False)
    elif base == "json":
        buf.write(json.dumps(df.to_dict(orient="records")).encode())
    else:
        df.to_parquet(buf)
    data = buf.getvalue()
    path.write_bytes(gzip.compress(data) if kind.endswith(".gz") else data)
    rep = ingest(store, path, "generic", contract="ACME")
    assert rep.loaded_rows == 2 and rep.quarantined_rows == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x01garbage", "not a readable"),
        (b"ticket_id,severity\nT1,P1\n", "no column for creation time"),
    ],
)
def test_unreadable_file_fails_and_changes_nothing(store, tmp_path, content, message):
    ingest(store, write_csv(tmp_path / "ok.csv", GOOD), "generic", contract="ACME")
    gen = store.current()
    bad = tmp_path / "bad.xlsx" if content.startswith(b"\x00") else tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest(store, bad, "generic", contract="ACME")
    assert store.current() == gen and len(tickets_in(store)) == 2


def test_failure_while_writing_leaves_store_as_it_was(store, tmp_path, monkeypatch):
    ingest(store, write_csv(tmp_path / "ok.csv", GOOD), "generic", contract="ACME")
    gen = store.current()

    def boom(self, dt, rows, replaced):
        raise OSError("disk full")

    monkeypatch.setattr(Table, "commit", boom)
    with pytest.raises(OSError):
        ingest(
            store,
            write_csv(tmp_path / "more.csv", [("T7", "P2", "2025-03-04T11:00:00-05:00", "", "")]),
            "generic",
            contract="ACME",
        )
    assert store.current() == gen
    assert sorted(p.name for p in store.cache.iterdir()) == [gen.name]  # nothing staged is left


UCI = SHARED / "uci-incident-event-log" / "incident_event_log.csv.gz"


@pytest.mark.skipif(not UCI.exists(), reason="../shared/data is not beside the checkout")
def test_killed_ingest_leaves_store_readable_and_unchanged(tmp_path):
    """SIGKILL in the middle of a real ingest while another process keeps reading the store."""
    root = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    cli = [sys.executable, "-m", "sla_engine", "--store", str(root)]
    subprocess.run(
        cli + ["terms", "add", str(FIXTURES / "terms_uci.json"), str(FIXTURES / "acme_terms.json")],
        check=True,
        env=env,
        capture_output=True,
    )
    small = write_csv(
        tmp_path / "t.csv",
        [("T1", "ACME-2025", "P1", "2025-03-04T10:00:00-05:00", "", "")],
        header=(
            "ticket_id",
            "contract_id",
            "severity",
            "created_at",
            "first_response_at",
            "resolved_at",
        ),
    )
    subprocess.run(
        cli + ["ingest", str(small), "--profile", "generic"],
        check=True,
        env=env,
        capture_output=True,
    )
    store = Store(root)
    gen = store.current()
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, duckdb; from pathlib import Path\n"
            "from sla_engine.store.core import Store\n"
            "s = Store(Path(sys.argv[1])); n = 0; t = time.time()\n"
            "while time.time() - t < 6:\n"
            "    con = duckdb.connect(); s.attach(con)\n"
            "    con.execute('SELECT count(*) FROM tickets').fetchone(); n += 1\n"
            "print(n)",
            str(root),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc = subprocess.Popen(
        cli
        + [
            "ingest",
            str(UCI),
            "--profile",
            "servicenow",
            "--tz",
            "America/Sao_Paulo",
            "--contract",
            "UCI-SN",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert int(out) > 10  # it kept reading during the ingest, without lock errors
    assert store.current() == gen
    assert len(tickets_in(store)) == 1
    # the next ingest cleans up whatever the killed one left
    rep = subprocess.run(
        cli
        + [
            "ingest",
            str(UCI),
            "--profile",
            "servicenow",
            "--tz",
            "America/Sao_Paulo",
            "--contract",
            "UCI-SN",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert rep.returncode == 0, rep.stderr
    assert "24916 loaded" in rep.stdout


def test_parked_rows_load_once_routed_without_the_file(tmp_path):
    """Rows quarantined only for an unknown customer or priority wait in the store; a later
    mapping loads them with no upload."""
    from sla_engine.ingest.routing import Routing
    from sla_engine.ingest.run import parked_count, reroute
    from sla_engine.rulebook.terms import load_terms

    store = Store(tmp_path / "store")
    register_terms(store, load_terms(FIXTURES / "acme_terms.json"))
    export = tmp_path / "export.csv"
    export.write_text(
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        "K1,Acme Key,P1,2025-03-04T10:00:00-05:00,2025-03-04T10:20:00-05:00,\n"
        "K2,ACME-2025,Dringend,2025-03-05T10:00:00-05:00,,2025-03-05T12:00:00-05:00\n"
        "K3,ACME-2025,P2,2025-03-06T10:00:00-05:00,,\n"
    )
    rep = ingest(store, export, "generic", routing=Routing.of({}, {}))
    assert "1 loaded" in rep.text() and "2 quarantined" in rep.text()
    assert parked_count(store) == 2
    export.unlink()  # the export is gone: the parked rows are all that is left of it
    assert reroute(store, Routing.of({"acme key": "ACME-2025"}, {})).text().count("1 loaded")
    assert parked_count(store) == 1  # K2 still waits for its priority label
    again = reroute(store, Routing.of({"acme key": "ACME-2025"}, {"ACME-2025": {"dringend": "P1"}}))
    assert "1 loaded" in again.text() and parked_count(store) == 0
    got = tickets_in(store).set_index("ticket_id")
    assert set(got.index) == {"K1", "K2", "K3"}
    assert got.loc["K2", "severity"] == "P1" and got.loc["K1", "contract_id"] == "ACME-2025"
    assert reroute(store, Routing.of({}, {})) is None  # nothing parked


def events_in(store: Store) -> pd.DataFrame:
    con = duckdb.connect()
    store.attach(con)
    return con.execute("SELECT ticket_id, field, value, changed_us FROM events ORDER BY ALL").df()


def test_a_tickets_file_alone_keeps_the_history_loaded_with_an_earlier_one(store, tmp_path):
    tickets = write_csv(tmp_path / "t.csv", GOOD)
    history = tmp_path / "h.csv"
    pd.DataFrame(
        [
            ("T1", "2025-03-04T10:00:00-05:00", "status", "open"),
            ("T1", "2025-03-04T10:20:00-05:00", "status", "pending"),  # a pause the terms list
            ("T1", "2025-03-04T11:20:00-05:00", "status", "open"),
            ("T1", "2025-03-04T12:00:00-05:00", "status", "solved"),
        ],
        columns=["ticket_id", "changed_at", "field", "value"],
    ).to_csv(history, index=False)
    ingest(store, tickets, "generic", contract="ACME", history=history)
    stored = events_in(store)
    as_of = 1_767_225_600_000_000
    before, _ = analysis.store_report(store, as_of)

    # the same tickets exported again without their history: nothing changed, the pause stays
    again = write_csv(tmp_path / "t-again.csv", GOOD)
    rep = ingest(store, again, "generic", contract="ACME")
    assert (rep.unchanged_rows, rep.updated_rows) == (2, 0)
    assert any("history already stored for 1 of its tickets was kept" in n for n in rep.notes)
    pd.testing.assert_frame_equal(events_in(store), stored)
    pd.testing.assert_frame_equal(analysis.store_report(store, as_of)[0], before)

    # a newer tickets file: T2 resolved now; T1's history is still there
    newer = write_csv(
        tmp_path / "t-newer.csv", [GOOD[0], GOOD[1][:4] + ("2025-03-05T09:00:00-05:00",)]
    )
    rep = ingest(store, newer, "generic", contract="ACME")
    assert (rep.unchanged_rows, rep.updated_rows) == (1, 1)
    pd.testing.assert_frame_equal(events_in(store), stored)


def test_an_export_too_large_for_free_memory_is_refused_before_reading(
    store, tmp_path, monkeypatch
):
    from sla_engine.ingest import memory_guard

    f = write_csv(tmp_path / "t.csv", GOOD)
    monkeypatch.setattr(memory_guard, "available_bytes", lambda: 1000)  # a nearly full machine
    with pytest.raises(IngestError, match=r"t\.csv: too large to load on this server now") as err:
        ingest(store, f, "generic", contract="ACME")
    assert "Split the export by date" in str(err.value)
    assert store.current() is None  # nothing written
    monkeypatch.setattr(memory_guard, "available_bytes", lambda: 1 << 40)
    assert ingest(store, f, "generic", contract="ACME").loaded_rows == 2


def test_a_gzip_export_is_measured_by_its_original_size(tmp_path):
    from sla_engine.ingest.memory_guard import expanded_size

    raw = b"ticket_id,severity\n" + b"T1,P1\n" * 100_000
    packed = tmp_path / "t.csv.gz"
    packed.write_bytes(gzip.compress(raw))
    assert packed.stat().st_size < len(raw) // 50
    assert expanded_size(packed) == len(raw)


@pytest.mark.parametrize(
    ("meminfo_kib", "cgroup", "free"),
    [
        (8 * 1024**2, None, 8 * 1024**3),  # no container limit: the machine's MemAvailable
        (8 * 1024**2, ("max", 1 << 30), 8 * 1024**3),  # cgroup v2, no limit
        (8 * 1024**2, (str(1 << 30), 256 << 20), 768 << 20),  # cgroup v2: 1 GiB, 256 MiB used
        (8 * 1024**2, (str(9223372036854771712), 1 << 30), 8 * 1024**3),  # v1's "no limit"
        (1024**2, (str(4 << 30), 1 << 30), 1024**3),  # the machine has less than the limit left
    ],
)
def test_free_memory_is_the_lower_of_the_machine_and_the_container(
    tmp_path, monkeypatch, meminfo_kib, cgroup, free
):
    from sla_engine.ingest import memory_guard

    meminfo = tmp_path / "meminfo"
    meminfo.write_text(f"MemTotal: 99999999 kB\nMemAvailable: {meminfo_kib} kB\n")
    monkeypatch.setattr(memory_guard, "MEMINFO", meminfo)
    limits = []
    if cgroup is not None:
        (tmp_path / "max").write_text(cgroup[0] + "\n")
        (tmp_path / "current").write_text(f"{cgroup[1]}\n")
        limits = [(tmp_path / "max", tmp_path / "current")]
    monkeypatch.setattr(memory_guard, "CGROUP_LIMITS", tuple(limits))
    assert memory_guard.available_bytes() == free


def test_a_large_shuffled_export_is_stored_in_ticket_order_with_tids_in_that_order(store, tmp_path):
    """The store's files are written in (contract, ticket) order without a sort at write time
    (normalize.sql keeps the numbered tickets in order): checked on an export large enough for
    DuckDB to work on it in parallel, in shuffled order, loaded first and then merged again."""
    path = tmp_path / "big.csv"
    duckdb.execute(
        f"""COPY (SELECT 'T' || i AS ticket_id, ['P1', 'P2'][1 + i % 2] AS severity,
                   strftime(TIMESTAMP '2025-03-01' + INTERVAL (i % 86400) SECOND,
                            '%Y-%m-%dT%H:%M:%SZ') AS created_at,
                   '' AS first_response_at, '' AS resolved_at
            FROM range(300000) t(i) ORDER BY hash(i)) TO '{path}' (HEADER)"""
    )
    first = ingest(store, path, "generic", contract="ACME")
    assert first.tickets_loaded == 300_000
    newer = tmp_path / "newer.csv"  # a second batch: 1,000 new tickets merged with the stored ones
    duckdb.execute(
        f"""COPY (SELECT 'N' || i AS ticket_id, 'P1' AS severity,
                   '2025-03-02T00:00:00Z' AS created_at, '' AS first_response_at,
                   '' AS resolved_at FROM range(1000) t(i))
            TO '{newer}' (HEADER)"""
    )
    assert ingest(store, newer, "generic", contract="ACME").tickets_loaded == 1_000
    gen = store.current()
    con = duckdb.connect()

    def keys_of(path: Path) -> pd.DataFrame:
        return con.execute(
            "SELECT tid, contract_id, ticket_id FROM read_parquet(?)", [str(path)]
        ).df()

    # the first load's base: every ticket, in key order, numbered from 1
    base = keys_of(gen / "tickets.parquet")
    assert base["tid"].tolist() == list(range(1, 300_001))
    keys = base[["contract_id", "ticket_id"]]
    assert keys.equals(keys.sort_values(["contract_id", "ticket_id"]).reset_index(drop=True))
    # the small second batch: one layer of its own tickets, in key order, numbered on from there
    assert gen_files.layers(gen) == [1]
    layer = keys_of(gen_files.layer_file(gen, 1, "tickets"))
    assert layer["tid"].tolist() == list(range(300_001, 301_001))
    assert layer["ticket_id"].tolist() == sorted(f"N{i}" for i in range(1000))
    whole = con.execute(
        f"SELECT count(*), count(DISTINCT tid) FROM {gen_files.relation_sql(gen, 'tickets')}"
    ).fetchone()
    assert whole == (301_000, 301_000)
