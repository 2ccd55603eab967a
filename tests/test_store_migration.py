"""A store written before the Delta table (a CURRENT pointer and generation folders, as the previous
release left it) moves into the table on its first read, with the monthly report and the credits
identical to what that release printed — also when the table is read again from scratch (another
host, or the cache lost) — and the next ingest goes on top of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sla_engine.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
BEFORE = ROOT / "tests" / "fixtures" / "store-before-table"
AS_OF = "2026-12-01T00:00:00Z"


def cli(root: Path, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "sla_engine", "--store", str(root), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return out.stdout


def figures(root: Path, tmp: Path, what: str) -> str:
    target = tmp / f"{what}.csv"
    cli(root, what, "--as-of", AS_OF, "--out", str(target))
    return target.read_text(encoding="utf-8")


@pytest.fixture
def old_store(tmp_path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(BEFORE / "store", root)
    return root


def test_the_previous_release_s_store_keeps_its_figures_in_the_table(old_store, tmp_path):
    expected_report = (BEFORE / "report.csv").read_text(encoding="utf-8")
    expected_credits = (BEFORE / "credits.csv").read_text(encoding="utf-8")
    assert len(expected_report.splitlines()) == 481  # 480 tier-months and the header

    assert figures(old_store, tmp_path, "report") == expected_report
    assert not (old_store / "CURRENT").exists()  # moved, once
    assert (old_store / "CURRENT.migrated").exists()
    assert (old_store / "table" / "_delta_log").is_dir()
    assert figures(old_store, tmp_path, "credits") == expected_credits

    # read again from the table alone: everything derived is rebuilt from the committed facts
    shutil.rmtree(old_store / "cache")
    assert figures(old_store, tmp_path, "report") == expected_report
    assert figures(old_store, tmp_path, "credits") == expected_credits


def test_after_the_move_the_next_ingest_lands_on_top_and_keeps_the_parked_rows(old_store, tmp_path):
    # a row the previous release parked: its customer key is routed to no contract yet
    waiting = old_store / "gen-000001" / "parked_tickets.parquet"
    row = {
        "ticket_id": "W-1",
        "contract_id": "NOT-ROUTED",
        "severity": "P1",
        "created_at": "2026-11-02T09:00:00Z",
        "first_response_at": "",
        "resolved_at": "",
    }
    pd.DataFrame([row], dtype="string").to_parquet(waiting, index=False)
    before = Store(old_store)
    snap = before.snapshot()  # the move happens on the first read
    assert snap is not None and snap.name == "gen-000001"
    assert list(before.batches()["batch_id"]) == [1]

    shutil.rmtree(old_store / "cache")  # parked rows come back from the table, not the old files
    export = tmp_path / "more.csv"
    export.write_text(
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        "NEW-1,ACME-SAAS,P1,2026-11-03T10:00:00Z,2026-11-03T10:05:00Z,2026-11-03T11:00:00Z\n",
        encoding="utf-8",
    )
    out = cli(old_store, "ingest", str(export), "--profile", "generic")
    assert "1 in = 1 loaded" in out, out
    after = Store(old_store)
    assert [int(b) for b in after.batches()["batch_id"]] == [1, 2]
    kept = pd.read_parquet(after.cache / "gen-000002" / "parked_tickets.parquet")
    assert kept.to_dict("records") == [row]
