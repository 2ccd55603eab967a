"""Bounded input: a stranger's file over a limit is refused in seconds, naming the limit, before
any parse, lock or write; future instants are quarantined with their column; columns named twice
are refused; the CLI names every error and exits non-zero when nothing loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import terms_doc

from sla_engine.errors import IngestError
from sla_engine.ingest.input_limits import MAX_COLUMNS, MAX_LINE_BYTES
from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
HEADER = "ticket_id,severity,created_at,first_response_at,resolved_at\n"
ROW = "T1,P1,2025-03-04T10:00:00-05:00,2025-03-04T10:10:00-05:00,2025-03-04T12:00:00-05:00\n"


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    return s


def _batches(store: Store) -> int:
    return len(store.batches())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # the attack run's 0.9 MB CSV with 100,000 columns (7.5 minutes, then out of memory)
        (",".join(f"c{i}" for i in range(100_000)) + "\n" + "x," * 99_999 + "x\n", "columns"),
        # a single line of 5 MiB (the run used 2 GB; the refusal comes at the limit)
        (HEADER + ROW + "T2,P1," + "a" * (MAX_LINE_BYTES + 10) + "\n", "line 3 is longer"),
        ("a" * (MAX_LINE_BYTES + 10), "line 1 is longer"),
        (HEADER.replace("resolved_at", "ticket_id") + ROW, "columns named twice: 'ticket_id'"),
    ],
    ids=["100k-columns", "long-line", "long-header", "duplicate-column"],
)
def test_a_file_over_a_limit_is_refused_before_anything_is_stored(
    store, tmp_path, content, message
):
    f = tmp_path / "hostile.csv"
    f.write_text(content)
    with pytest.raises(IngestError, match=message) as err:
        ingest(store, f, "generic", contract="ACME", display_name="upload.csv")
    assert "upload.csv: refused" in str(err.value)
    assert _batches(store) == 0


def test_the_column_limit_is_named(store, tmp_path):
    f = tmp_path / "wide.csv"
    f.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n")
    with pytest.raises(IngestError, match=f"limit of {MAX_COLUMNS:,}"):
        ingest(store, f, "generic", contract="ACME")


def test_times_in_the_future_are_quarantined_with_their_column(store, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        HEADER
        + ROW
        + "T2,P1,2099-03-04T10:00:00Z,,\n"
        + "T3,P1,2025-03-04T10:00:00Z,,2098-01-01T00:00:00Z\n"
    )
    rep = ingest(store, f, "generic", contract="ACME")
    assert rep.loaded_rows == 1 and rep.quarantined_rows == 2
    assert sum(n for rule, n in rep.reasons.items() if rule.endswith(": in the future")) == 2, (
        rep.reasons
    )
    assert "later than the upload" in rep.text()  # the rule's sentence, for people


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sla_engine", *args], capture_output=True, text=True, cwd=ROOT
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tickets", "--as-of", "9999-12-31T23:59:59Z"], "outside the plausible range"),
        (["tickets", "--as-of", "not-a-time"], "is not an instant"),
        (["tickets", "--out", "/nonexistent-folder/x.csv"], "nonexistent-folder"),
        (["ingest", "--profile", "generic", "--contract", "ACME", "{tmp}"], "is a folder"),
    ],
)
def test_cli_errors_are_named_never_a_traceback(tmp_path, store, args, message):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + ROW)
    ingest(store, good, "generic", contract="ACME")
    store_args = ["--store", str(store.root)]
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = _cli(*store_args, *args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr, out.stderr
    assert message in out.stderr, out.stderr


def test_cli_exits_non_zero_when_nothing_loaded(store, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(HEADER + "T9,P9,2025-03-04T10:00:00Z,,\n")
    store_args = ["--store", str(store.root)]
    out = _cli(*store_args, "ingest", "--profile", "generic", "--contract", "ACME", str(f))
    assert out.returncode == 1 and "nothing was loaded" in out.stderr, (out.stdout, out.stderr)
