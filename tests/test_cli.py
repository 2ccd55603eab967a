"""The command line as a user runs it: evaluate on plain files, report and credits, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
TICKETS = """ticket_id,contract_id,severity,created_at,first_response_at,resolved_at
T1,ACME-2025,P2,2025-03-04T10:00:00-05:00,2025-03-04T10:30:00-05:00,2025-03-04T15:30:00-05:00
T2,ACME-2025,P1,2025-03-04T10:00:00-05:00,2025-03-04T10:45:00-05:00,
T3,ACME-2025,P2,2025-03-06T10:00:00-05:00,2025-03-06T10:30:00-05:00,2025-03-07T15:30:00-05:00
"""
HISTORY = """ticket_id,changed_at,field,value
T3,2025-03-06T10:00:00-05:00,status,new
T3,2025-03-06T11:00:00-05:00,status,pending
T3,2025-03-06T13:00:00-05:00,status,open
T3,2025-03-07T09:00:00-05:00,status,solved
T3,2025-03-07T10:00:00-05:00,status,open
T3,2025-03-07T15:30:00-05:00,status,solved
"""


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sla_engine", *args], capture_output=True, text=True, cwd=ROOT
    )


@pytest.fixture
def files(tmp_path):
    (tmp_path / "t.csv").write_text(TICKETS)
    (tmp_path / "h.csv").write_text(HISTORY)
    return tmp_path


def test_evaluate_writes_documented_columns(files):
    out = files / "out.csv"
    r = cli(
        "evaluate",
        "--tickets",
        str(files / "t.csv"),
        "--history",
        str(files / "h.csv"),
        "--terms",
        str(FIXTURES / "acme_terms.json"),
        "--as-of",
        "2025-03-10T00:00:00+00:00",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("ticket_id")
    assert list(df.columns)[:10] == [
        "contract_id",
        "severity",
        "month",
        "response_minutes",
        "response_target_minutes",
        "response_met",
        "resolution_minutes",
        "resolution_target_minutes",
        "resolution_met",
        "paused_minutes",
    ]
    assert (
        df.loc["T1", "resolution_minutes"] == "330.0" and df.loc["T1", "resolution_met"] == "true"
    )
    # P1 is on the calendar clock; still open on Mar 10: breached long ago
    assert df.loc["T2", "response_met"] == "false" and df.loc["T2", "resolution_met"] == "false"
    # Thu 10:00 -> Fri 15:30 on a split Friday, minus 2 h pending and 1 h resolved before the reopen
    assert (
        df.loc["T3", "resolution_minutes"] == "600.0" and df.loc["T3", "paused_minutes"] == "180.0"
    )


def test_evaluate_pending_is_empty(files):
    out = files / "out.csv"
    r = cli(
        "evaluate",
        "--tickets",
        str(files / "t.csv"),
        "--terms",
        str(FIXTURES / "acme_terms.json"),
        "--as-of",
        "2025-03-04T15:20:00Z",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("ticket_id")
    assert df.loc["T2", "response_met"] == "" and df.loc["T2", "resolution_met"] == ""


def test_bad_row_error_names_file_row_and_column(files):
    bad = files / "bad.csv"
    bad.write_text(
        TICKETS.replace(
            "2025-03-06T10:00:00-05:00,2025-03-06T10:30", "06/03/2025 10h,2025-03-06T10:30"
        )
    )
    r = cli(
        "evaluate",
        "--tickets",
        str(bad),
        "--terms",
        str(FIXTURES / "acme_terms.json"),
        "--out",
        str(files / "o.csv"),
    )
    assert r.returncode == 2
    assert f"{bad}: row 3, column created_at: unparseable time 06/03/2025 10h" in r.stderr
    assert "Traceback" not in r.stderr


def test_report_and_credits_from_files(files):
    args = [
        "--tickets",
        str(files / "t.csv"),
        "--history",
        str(files / "h.csv"),
        "--terms",
        str(FIXTURES / "acme_terms.json"),
        "--as-of",
        "2025-04-01T00:00:00Z",
    ]
    rep = cli("report", *args, "--out", str(files / "r.csv"))
    assert rep.returncode == 0, rep.stderr
    r = pd.read_csv(files / "r.csv")
    p2 = r[(r.severity == "P2") & (r.metric == "resolution")].iloc[0]
    assert (p2.tickets, p2.met, p2.breached, p2.compliance_pct, p2.status) == (
        2,
        2,
        0,
        100.0,
        "not measurable",
    )
    cr = cli("credits", *args, "--out", str(files / "c.csv"))
    assert cr.returncode == 0, cr.stderr
    c = pd.read_csv(files / "c.csv")
    assert c.loc[0, "credit_pct"] == 0 and "not measurable" in c.loc[0, "reason"]


def test_an_export_with_no_contract_column_gets_the_clis_own_advice(tmp_path):
    """The engine's error names what is missing; the CLI says how to give it (the page says
    "choose it under Contract", ui/errors.py)."""
    from helpers import terms_doc

    from sla_engine.rulebook.terms import parse_terms
    from sla_engine.store.core import Store

    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(terms_doc(contract_id="ACME-2025")))
    (tmp_path / "t.csv").write_text(
        "ticket_id,severity,created_at\nT1,P2,2025-03-04T10:00:00-05:00\n"
    )
    r = cli(
        "--store",
        str(tmp_path / "store"),
        "ingest",
        str(tmp_path / "t.csv"),
        "--profile",
        "generic",
    )
    assert r.returncode == 2
    assert (
        "the export has no contract column; say which contract it belongs to with "
        "--contract ID" in r.stderr
    ), r.stderr
