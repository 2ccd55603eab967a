"""A generic CSV export streamed into DuckDB (csv_stream) is validated exactly as the same file read
whole: the same tickets, events, kept rows, quarantine and notes; and a file the stream declines is
read whole, as before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import terms_doc

from sla_engine.ingest import csv_stream
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.profiles.registry import read_profile
from sla_engine.ingest.validate import validate
from sla_engine.rulebook.terms import parse_terms
from sla_engine.sqlfiles import connect

HEADER = "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
FILES = {
    "plain": HEADER + "T1,C,P1,2025-03-03T09:00:00Z,2025-03-03T09:10:00Z,\n"
    "T2,C,P2,2025-03-03T10:00:00Z,,2025-03-04T10:00:00Z\n",
    "quoted, multi-line, padded": HEADER + 'T1,C,"P1",2025-03-03T09:00:00Z,,"2025-03-03\n'
    'T10:00:00Z"\n T2 , C ,p2 , 2025-03-03T10:00:00Z ,,\n',
    "bad rows": HEADER + "T1,C,P9,2025-03-03T09:00:00Z,,\nT1,C,P1,2025-03-03,,\n"
    ",C,P1,2025-03-03T09:00:00Z,,\nT3,X,P1,0001-01-01T00:00:00Z,,\n"
    "T4,C,P1,2025-03-03T09:00:00Z,2025-03-03T08:00:00Z,\nT5,C,,2025-03-03T09:00:00Z,,\n",
    "naive, day-first": HEADER + "T1,C,P1,13/03/2025 09:00,,\nT2,C,P1,03/04/2025 09:00,,\n",
    "semicolons, BOM, CRLF": "\ufeff"
    + HEADER.replace(",", ";").replace("\n", "\r\n")
    + "T1;C;P1;2025-03-03T09:00:00Z;;\r\n",
    "cp1252": HEADER + "T1,C,P1,2025-03-03T09:00:00Z,,\nT\xe91,C,P1,2025-03-03T09:00:00Z,,\n",
}


def _terms() -> dict[str, list]:
    return {"C": parse_terms(terms_doc(contract_id="C"))}


def _written(tmp_path, name: str):
    path = tmp_path / "export.csv"
    text = FILES[name]
    path.write_bytes(text.encode("cp1252" if name == "cp1252" else "utf-8"))
    return path


@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("tz", [None, "Europe/Berlin"])
def test_a_streamed_export_validates_as_the_file_read_whole(tmp_path, name, tz):
    path = _written(tmp_path, name)
    whole, _ = read_profile("generic", path, None, ReadOptions(), tz)
    con = connect()
    streamed, _ = read_profile("generic", path, None, ReadOptions(), tz, con=con)
    assert streamed.in_database and not whole.in_database
    a = validate(streamed, "t.csv", tz, None, _terms(), con=con)
    b = validate(whole, "t.csv", tz, None, _terms())
    for part in ("tickets", "events", "quarantine", "row_ticket"):
        pd.testing.assert_frame_equal(
            getattr(a, part).astype(object), getattr(b, part).astype(object), obj=part
        )
    assert a.input_rows == b.input_rows and streamed.notes == whole.notes
    # the rows a page or the parked list asks for come from the same table
    assert a.raw_tickets({1}).iloc[0]["_row"] == 1


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "T1,C,P1,2025-03-03T09:00:00Z,,,extra\n",  # a long row
        HEADER + "T1,C,P1\n",  # a short row (pandas pads it; the stream does not guess)
    ],
)
def test_a_file_the_stream_declines_is_read_whole(tmp_path, text):
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    con = connect()
    found = csv_stream.layout(path)
    if found is not None:
        assert csv_stream.load(con, path, found, "_ex_raw") is None
    assert not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_ex_raw'"
    ).fetchall()[0][0]


def test_two_ingests_in_one_process_spill_into_their_own_folders(tmp_path):
    from sla_engine.ingest.run import _spilling_connection
    from sla_engine.store.core import Store

    store = Store(tmp_path / "store")
    with _spilling_connection(store) as a, _spilling_connection(store) as b:
        folders = {
            c.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] for c in (a, b)
        }
        # each in its own folder of the store (DuckDB makes the spill directory when it spills)
        assert len({Path(f).parent for f in folders}) == 2
        assert all(Path(f).parent.is_dir() for f in folders)
    assert not any(Path(f).parent.exists() for f in folders)  # removed afterwards
