"""The store on object storage (a real S3-compatible server on loopback), as several hosts share it:
each "host" is its own process with its own local folder (only its cache) and the same
COVENANT_STORE_URL. Writers on two hosts commit at once and nothing is lost; a reader on a third
reads whole versions throughout; a writer killed mid-batch leaves the last committed version, and
the next write succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import terms_doc
from test_store_concurrency import AS_OF, READER, export, reported_tickets

from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store
from sla_engine.store.maintain import maintain
from sla_engine.store.table import ticket_parts

ROOT = Path(__file__).resolve().parents[1]
GEN = ("--profile", "generic")


def host(tmp_path: Path, name: str) -> Path:
    """A host's local folder: nothing in it but what it caches."""
    return tmp_path / f"host-{name}"


def cli(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sla_engine", "--store", str(root), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_what_one_host_loads_another_reports_and_it_equals_a_local_store(
    s3_store_url, tmp_path, monkeypatch
):
    a = Store(host(tmp_path, "a"))
    assert a.table.location.uri == s3_store_url + "/table"
    a.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    report = ingest(a, export(tmp_path / "x.csv", 0, 400), profile="generic")
    assert report.loaded_rows == 400
    assert not (host(tmp_path, "a") / "table").exists()  # the facts are in the bucket only

    small = ingest(a, export(tmp_path / "y.csv", 400, 2), profile="generic")
    assert small.loaded_rows == 2
    assert ticket_parts(a.snapshot().dt)[1] == ["d000002"]  # a change set, not a month rewrite

    b = Store(host(tmp_path, "b"))  # another host: no local files at all yet
    assert [t.contract_id for t in b.terms()] == ["ACME"]
    assert reported_tickets(b) == 402
    assert (host(tmp_path, "b") / "cache" / "gen-000002" / "tickets.parquet").exists()

    monkeypatch.delenv("COVENANT_STORE_URL")
    local = Store(tmp_path / "local")
    local.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    ingest(local, export(tmp_path / "x.csv", 0, 400), profile="generic")
    ingest(local, export(tmp_path / "y.csv", 400, 2), profile="generic")
    from sla_engine.reports import analysis

    on_s3, _ = analysis.store_report(b, AS_OF)
    here, _ = analysis.store_report(local, AS_OF)
    assert on_s3.equals(here)

    monkeypatch.setenv("COVENANT_STORE_URL", s3_store_url)
    done = maintain(b, hours=1)  # the worker's store job, on object storage
    assert done is not None and done.change_sets_folded == 1
    assert ticket_parts(b.snapshot().dt)[1] == []
    assert analysis.store_report(Store(host(tmp_path, "c")), AS_OF)[0].equals(here)


def test_two_hosts_write_at_once_and_a_third_reads_whole_versions(s3_store_url, tmp_path):
    seed = Store(host(tmp_path, "seed"))
    seed.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    ingest(seed, export(tmp_path / "seed.csv", 0, 500), profile="generic")
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(host(tmp_path, "c")), str(stop), str(AS_OF)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    writers = [
        cli(host(tmp_path, "a"), "ingest", str(export(tmp_path / "a.csv", 10_000, 3_000)), *GEN),
        cli(host(tmp_path, "b"), "ingest", str(export(tmp_path / "b.csv", 20_000, 2_000)), *GEN),
    ]
    outs = [w.communicate(timeout=600) for w in writers]
    stop.touch()
    out, err = reader.communicate(timeout=600)

    for w, (_out, e) in zip(writers, outs, strict=True):
        assert w.returncode == 0, e
        assert "Traceback" not in e
    assert any("3000 in = 3000 loaded" in o for o, _ in outs), outs
    assert any("2000 in = 2000 loaded" in o for o, _ in outs), outs
    final = Store(host(tmp_path, "d"))
    assert [int(b) for b in final.batches()["batch_id"]] == [1, 2, 3]
    assert reported_tickets(final) == 5_500  # no lost update

    assert reader.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= 2
    for name, reported, stored, _how in lines:
        assert reported == stored, (name, reported, stored)  # one version, whole
        assert stored in {500, 3_500, 2_500, 5_500}
    assert lines[-1][:3] == ["gen-000003", 5_500, 5_500]


@pytest.mark.parametrize("after", [1.0, 3.0])
def test_a_writer_killed_mid_batch_leaves_the_last_version_and_the_next_write_succeeds(
    s3_store_url, tmp_path, after
):
    seed = Store(host(tmp_path, "seed"))
    seed.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    ingest(seed, export(tmp_path / "seed.csv", 0, 300), profile="generic")
    big = export(tmp_path / "big.csv", 100_000, 40_000)
    w = cli(host(tmp_path, "a"), "ingest", str(big), *GEN)
    time.sleep(after)
    w.send_signal(signal.SIGKILL)
    w.communicate(timeout=60)  # (closes its pipes)

    other = Store(host(tmp_path, "b"))
    batches = [int(b) for b in other.batches()["batch_id"]]
    # killed before its commit: the seed alone; after it: the whole batch — never a part
    assert batches in ([1], [1, 2])
    kept = reported_tickets(other)
    assert kept == (300 if batches == [1] else 40_300)
    again = cli(host(tmp_path, "a"), "ingest", str(export(tmp_path / "c.csv", 500, 50)), *GEN)
    o, e = again.communicate(timeout=600)
    assert again.returncode == 0, e
    assert "50 in = 50 loaded" in o
    assert reported_tickets(Store(host(tmp_path, "e"))) == kept + 50
