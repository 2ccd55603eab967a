"""The Arrow CSV reader must read a file exactly as pandas does, or decline it (and pandas reads
it): compared on awkward files and on the real public logs in ../shared/data."""

from __future__ import annotations

import gzip
import io

import pandas as pd
import pytest
from helpers import SHARED

from sla_engine.ingest import csv_fast
from sla_engine.ingest.readers import encoding_of


def by_pandas(raw: bytes, codec: str, sep: str) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(raw), dtype=str, keep_default_na=False, sep=sep, encoding=codec
    ).astype("string")


def same(raw: bytes, sep: str = ",") -> pd.DataFrame | None:
    codec, _ = encoding_of(raw)
    fast = csv_fast.read(raw, codec, sep)
    if fast is not None:
        slow = by_pandas(raw, codec, sep)
        pd.testing.assert_frame_equal(fast.astype("string"), slow)
    return fast


@pytest.mark.parametrize(
    ("raw", "sep"),
    [
        (b"id,sev,at\nT1,P1,2025-03-04T10:00:00Z\nT2,,\n", ","),
        (b'id,text\nT1,"a, quoted ""comma"" value"\nT2,"two\nlines"\n', ","),
        (b"\xef\xbb\xbfid;sev\r\nT1;P1\r\n\r\nT2;P2\r\n", ";"),  # BOM, CRLF, a blank line
        ("id;note\nT1;café – déjà\n".encode("cp1252"), ";"),
        ("id\tnote\nT1\tüber\n".encode("utf-16"), "\t"),
        (b"id,sev\n", ","),  # header only
        (b"id,sev\nT1,NA\nT2,null\nT3, spaced \n", ","),  # no value is taken for missing
        (b"id, Sev \nT1,P1\n", ","),  # names kept as written (the reader strips them later)
        (b"id,v,v,v\nT1,a,b,c\n", ","),  # repeated names: v, v.1, v.2, as pandas names them
    ],
)
def test_arrow_reads_what_pandas_reads(raw, sep):
    assert same(raw, sep) is not None  # read by Arrow, and equal to pandas


@pytest.mark.parametrize(
    "raw",
    [
        b"id,sev\nT1,P1,extra\n",  # a long row: pandas' own error
        b"id,sev,at\nT1,P1\n",  # a short row: pandas pads it
        b"id,v,v,v.1\nT1,a,b,c\n",  # pandas' name for the repeat is taken: left to pandas
        b"id,,at\nT1,x,y\n",  # a blank name: pandas calls it Unnamed
        b"",  # empty file: pandas' own error
    ],
)
def test_files_outside_what_arrow_reads_like_pandas_are_left_to_pandas(raw):
    codec, _ = encoding_of(raw) if raw else ("utf-8-sig", "UTF-8")
    assert csv_fast.read(raw, codec, ",") is None


REAL = [
    "uci-incident-event-log/incident_event_log.csv.gz",
    "helpdesk-italian-software-company/finale.csv.gz",
    "kaggle-customer-support-tickets/customer_support_tickets.csv.gz",
    "bpic2014-rabobank-incidents-eventdatar-subset/BPIC14_incident_case_attributes.csv.gz",
]


@pytest.mark.slow
@pytest.mark.parametrize("name", REAL)
def test_real_logs_read_the_same(name):
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine (../shared/data)")
    raw = gzip.decompress(path.read_bytes())
    header = raw[: raw.find(b"\n")].decode("utf-8", errors="replace")
    sep = max((",", ";", "\t"), key=header.count)
    got = same(raw, sep)
    assert got is not None and len(got) > 1000
