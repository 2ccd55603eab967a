"""Ingest under hostile input: decompression bombs are refused early with a clear message, and a
normal compressed export still reads."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sla_engine.errors import IngestError
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.readers import read_table
from sla_engine.ledger.register import register_terms

ROOT = Path(__file__).resolve().parents[1]


def _bomb(path: Path, mib: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(b"ticket_id,contract_id,severity,created_at\n")
        zeros = b"0" * 1024**2
        for _ in range(mib):
            f.write(zeros)
    return path


def test_a_gzip_bomb_is_refused_before_it_fills_memory(tmp_path):
    bomb = _bomb(tmp_path / "tickets.csv.gz", 256)
    assert bomb.stat().st_size < 1024**2  # under a megabyte on disk
    code = (
        "import sys\n"
        "from sla_engine.ingest.readers import read_table\n"
        "from sla_engine.errors import IngestError\n"
        "try:\n"
        "    read_table(sys.argv[1])\n"
        "except IngestError as exc:\n"
        "    print(exc)\n"
        # this process's own peak (ru_maxrss would include pytest's, inherited across exec)
        "status = open('/proc/self/status').read().splitlines()\n"
        "print(next(int(x.split()[1]) for x in status if x.startswith('VmHWM')) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(bomb)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.splitlines()
    assert "tickets.csv.gz: refused" in out[0] and "100-fold" in out[0]
    assert int(out[-1]) < 400  # MiB: stopped at the first tens of megabytes, not 256


def test_an_xlsx_bomb_is_refused_from_its_declared_sizes(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<" * (64 * 1024**2))
    p = tmp_path / "export.xlsx"
    p.write_bytes(buf.getvalue())
    with pytest.raises(IngestError, match="export.xlsx: refused"):
        read_table(p)


def test_an_ordinary_gzip_export_still_reads(tmp_path):
    p = tmp_path / "t.csv.gz"
    rows = "".join(f"T{i},C,P1,2025-01-01T00:00:00Z\n" for i in range(50_000))
    with gzip.open(p, "wt") as f:
        f.write("ticket_id,contract_id,severity,created_at\n" + rows)
    assert len(read_table(p)) == 50_000


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "1025-03-02T10:00:00Z",
        "2300-01-01T00:00:00Z",
    ],
)
def test_an_implausible_date_is_quarantined_and_the_rest_loads(tmp_path, when):
    from helpers import FIXTURES

    from sla_engine.ingest.run import ingest
    from sla_engine.reports import analysis
    from sla_engine.rulebook.terms import load_terms
    from sla_engine.store.core import Store

    store = Store(tmp_path / "store")
    register_terms(store, load_terms(FIXTURES / "acme_terms.json"))
    csv = tmp_path / "t.csv"
    csv.write_text(
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        "T1,ACME-2025,P2,2025-03-04T10:00:00-05:00,2025-03-04T10:30:00-05:00,"
        "2025-03-04T15:30:00-05:00\n"
        f"T2,ACME-2025,P2,{when},,\n"
        f"T3,ACME-2025,P2,2025-03-05T10:00:00-05:00,,{when}\n"
    )
    rep = ingest(store, csv, "generic")
    q = store.quarantine()
    assert sorted(q["row"].astype(int)) == [2, 3]  # data rows, as the ingest report counts
    assert set(q["column"]) == {"created_at", "resolved_at"}
    assert q["reason"].str.contains("outside the plausible range 1990-01-01 to 2099-12-31").all()
    assert "1 loaded" in rep.text()
    report, how = analysis.store_report(store, analysis.parse_as_of("2025-04-01T00:00:00Z"))
    assert how == "ledger" and int(report["tickets"].sum()) == 2  # T1 resp and res


def test_a_contract_id_with_url_characters_does_not_break_the_compliance_page(
    tmp_path, monkeypatch
):
    import json

    import streamlit as st
    from helpers import FIXTURES, terms_doc
    from streamlit.testing.v1 import AppTest

    from sla_engine.errors import TermsError
    from sla_engine.ingest.run import ingest
    from sla_engine.rulebook.terms import parse_terms
    from sla_engine.store.core import Store

    odd = "A:B/C?d=1&e#f"
    store = Store(tmp_path / "store")
    doc = json.loads((FIXTURES / "acme_terms.json").read_text())
    doc = {**(doc if isinstance(doc, dict) else doc[0]), "contract_id": odd}
    register_terms(store, parse_terms(doc))
    (tmp_path / "t.csv").write_text(
        "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
        f"T1,{odd},P2,2025-03-04T10:00:00-05:00,2025-03-04T10:30:00-05:00,"
        "2025-03-10T15:30:00-05:00\n"
    )
    ingest(store, tmp_path / "t.csv", "generic")
    monkeypatch.setenv("COVENANT_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite'}")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app_pages" / "compliance.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["roles"] = ["support_manager"]
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="contract").value == odd
    with pytest.raises(TermsError, match="contract_id"):  # refused where it enters
        parse_terms(terms_doc(contract_id="ACME\r\nX"))


def test_a_reader_keeps_its_generation_while_newer_ones_are_published(tmp_path, monkeypatch):
    """A page attached to a generation used to fail once three newer ones were published."""
    import duckdb
    from helpers import FIXTURES

    from sla_engine.ingest.run import ingest
    from sla_engine.rulebook.terms import load_terms
    from sla_engine.store import core as store_module
    from sla_engine.store.core import Store

    store = Store(tmp_path / "store")
    register_terms(store, load_terms(FIXTURES / "acme_terms.json"))

    def export(n: int) -> Path:
        p = tmp_path / f"t{n}.csv"
        p.write_text(
            "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
            + "".join(f"T{i},ACME-2025,P2,2025-03-04T10:00:00-05:00,,\n" for i in range(n + 1))
        )
        return p

    ingest(store, export(0), "generic")
    reader = duckdb.connect()
    store.attach(reader)  # a page run begins on this generation
    first = store.current()
    for n in range(1, 6):
        ingest(store, export(n), "generic")
    assert first.exists()
    assert reader.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1  # still readable
    monkeypatch.setattr(store_module, "READ_GRACE_SECONDS", 0)  # the grace period has passed
    ingest(store, export(6), "generic")
    assert not first.exists()
    gens = sorted(p.name for p in (tmp_path / "store" / "cache").glob("gen-*"))
    assert len(gens) == store_module.KEEP_GENERATIONS


@pytest.mark.parametrize(
    ("encoding", "sep", "seen"),
    [
        ("utf-16", ";", "delimiter semicolon, encoding UTF-16"),  # Excel's "Unicode text"
        ("cp1252", ";", "delimiter semicolon, encoding Windows-1252"),
        ("utf-8-sig", "\t", "delimiter tab, encoding UTF-8"),
    ],
)
def test_files_as_people_save_them_are_read_and_said_so(tmp_path, encoding, sep, seen):
    from sla_engine.ingest.profiles.registry import read_profile

    rows = [
        ["ticket_id", "contract_id", "severity", "created_at", "first_response_at", "resolved_at"],
        ["Ü-1", "Müller GmbH", "P1", "2025-03-04T10:00:00+01:00", "", ""],
    ]
    p = tmp_path / "export.csv"
    p.write_bytes("\r\n".join(sep.join(r) for r in rows).encode(encoding))
    ex, _ = read_profile("generic", p, None, ReadOptions())
    assert list(ex.tickets["ticket_id"]) == ["Ü-1"]
    assert list(ex.tickets["contract_id"]) == ["Müller GmbH"]
    assert any(seen in n for n in ex.notes), ex.notes


def test_json_null_is_a_missing_value_never_the_text_nan(tmp_path):
    import json

    from sla_engine.ingest.readers import read_table

    p = tmp_path / "tickets.json"
    p.write_text(
        json.dumps(
            {
                "tickets": [
                    {"id": 1, "priority": None, "org": None},
                    {"id": 2, "priority": "high"},
                ]
            }
        )
    )
    df = read_table(p)
    assert df["priority"].isna().tolist() == [True, False]
    assert df["org"].isna().all() and "nan" not in df.astype(str).to_numpy().ravel().tolist()
