"""JSON and XML exports in the envelopes help desks actually send
(sla_engine/ingest/structured.py): the
records are found under any key, in pages, per line, or as a repeated XML element, and the ingest
report says where they were read from; what cannot be told apart is refused with the names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import terms_doc

from sla_engine.errors import IngestError
from sla_engine.ingest.readers import read_table
from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

T1 = {"id": "1", "created": "2025-03-03T10:00:00Z", "priority": "High"}
T2 = {"id": "2", "created": "2025-03-03T11:00:00Z", "priority": "Low"}
T3 = {"id": "3", "created": "2025-03-03T12:00:00Z", "priority": "Low"}


def _read(tmp_path: Path, name: str, text: str):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return read_table(f)


@pytest.mark.parametrize(
    ("name", "text", "ids", "said"),
    [
        (  # Jira Service Management's servicedeskapi/request
            "jsm.json",
            json.dumps(
                {
                    "_expands": ["participant", "status"],
                    "size": 2,
                    "start": 0,
                    "limit": 50,
                    "isLastPage": True,
                    "_links": {"base": "https://acme.atlassian.net"},
                    "values": [T1, T2],
                }
            ),
            ["1", "2"],
            "the JSON key 'values'",
        ),
        (
            "nested.json",
            json.dumps({"data": {"items": [T1, T2, T3]}}),
            ["1", "2", "3"],
            "data.items",
        ),
        (  # pages of an API written one after another, and one more on its own line
            "pages.json",
            json.dumps({"tickets": [T1], "next_page": "x"})
            + json.dumps({"tickets": [T2]})
            + "\n"
            + json.dumps({"tickets": [T3], "next_page": None}),
            ["1", "2", "3"],
            "3 JSON pages, key 'tickets'",
        ),
        (
            "lines.ndjson",
            "\n".join(json.dumps(t) for t in (T1, T2, T3)),
            ["1", "2", "3"],
            "per line",
        ),
        (
            "arrays.json",
            json.dumps([T1]) + "\n" + json.dumps([T2, T3]),
            ["1", "2", "3"],
            "2 JSON arrays",
        ),
    ],
)
def test_the_records_are_found_in_any_envelope_and_where_is_said(tmp_path, name, text, ids, said):
    df = _read(tmp_path, name, text)
    assert list(df["id"]) == ids
    assert said in df.attrs["detected"]["records from"]


def test_several_unknown_lists_are_refused_by_name_unless_one_is_named(tmp_path):
    text = json.dumps({"open": [T1], "closed": [T2]})
    with pytest.raises(IngestError, match=r"several lists of records \(open, closed\)"):
        _read(tmp_path, "two.json", text)
    f = tmp_path / "two.json"
    assert list(read_table(f, json_key="closed")["id"]) == ["2"]


UNLOAD = """<?xml version="1.0" encoding="UTF-8"?>
<unload unload_date="2025-03-05 10:00:00">
<incident action="INSERT_OR_UPDATE">
  <number>INC0010001</number><opened_at>2025-03-03 10:00:00</opened_at>
  <work_start>2025-03-03 10:20:00</work_start><resolved_at>2025-03-03 12:00:00</resolved_at>
  <priority>1</priority><state>6</state>
  <assigned_to display_value="Beth Anglin">46d44a23a9fe19810012d100cca80666</assigned_to>
  <sys_id>a1</sys_id>
</incident>
<incident action="INSERT_OR_UPDATE">
  <number>INC0010002</number><opened_at>2025-03-03 11:00:00</opened_at>
  <work_start>2025-03-03 13:00:00</work_start><resolved_at></resolved_at>
  <priority>1</priority><state>2</state>
  <assigned_to display_value="Fred Luddy">5137153cc611227c000bbd1bd8cd2005</assigned_to>
  <sys_id>a2</sys_id>
</incident>
</unload>"""

JIRA_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="0.92"><channel><title>Acme Jira</title><link>https://acme.atlassian.net</link>
<item><title>[SUP-1] Printer</title><key id="10001">SUP-1</key><priority id="2">High</priority>
<status id="3" iconUrl="x">Done</status><created>Mon, 3 Mar 2025 10:00:00 +0000</created></item>
<item><title>[SUP-2] VPN</title><key id="10002">SUP-2</key><priority id="4">Low</priority>
<status id="1" iconUrl="x">Open</status><created>Mon, 3 Mar 2025 11:00:00 +0000</created></item>
</channel></rss>"""


def test_servicenow_unload_xml_is_read_with_display_values_and_measured(tmp_path):
    df = _read(tmp_path, "incident.xml", UNLOAD)
    assert list(df["number"]) == ["INC0010001", "INC0010002"]
    assert list(df["assigned_to.display_value"]) == ["Beth Anglin", "Fred Luddy"]
    assert df.attrs["detected"]["records from"] == "2 XML <incident> elements under <unload>"
    doc = terms_doc(
        contract_id="ACME",
        calendar={"timezone": "UTC"},
        severity_map={"1": "P1", "2": "P1", "3": "P2", "4": "P2"},
    )
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(doc))
    rep = ingest(store, tmp_path / "incident.xml", "servicenow", tz="UTC", contract="ACME")
    assert rep.loaded_rows == 2 and rep.quarantined_rows == 0
    assert any("2 XML <incident> elements" in n for n in rep.notes)


def test_jira_rss_items_become_records(tmp_path):
    df = _read(tmp_path, "SearchRequest.xml", JIRA_RSS)
    assert list(df["key"]) == ["SUP-1", "SUP-2"] and list(df["key.id"]) == ["10001", "10002"]
    assert list(df["status"]) == ["Done", "Open"] and list(df["priority"]) == ["High", "Low"]


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<r><i><a>&lol2;</a></i><i><a>x</a></i></r>",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<r><i><a>&x;</a></i></r>",
    ],
)
def test_xml_with_entities_is_refused_before_it_is_parsed(tmp_path, text):
    with pytest.raises(IngestError, match="DOCTYPE or entities is refused"):
        _read(tmp_path, "evil.xml", text)


def test_a_zip_of_pages_is_read_as_one_export(tmp_path):
    import zipfile

    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("pages/page-1.json", json.dumps({"tickets": [T1, T2]}))
        zf.writestr("pages/page-2.json", json.dumps({"tickets": [T3]}))
        zf.writestr("__MACOSX/pages/._page-1.json", "junk")
    df = read_table(z)
    assert list(df["id"]) == ["1", "2", "3"]
    assert df.attrs["detected"]["archive"] == "2 files in the ZIP"


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"a.json": "[]", "b.csv": "id\n1\n"}, "mixes kinds of files"),
        ({"a.exe": "MZ"}, "unknown file type"),
        ({"big.json": "[" + " " * (40 * 1024**2) + "]"}, "expand to more than"),
    ],
)
def test_a_zip_that_is_not_one_export_is_refused(tmp_path, members, why):
    import zipfile

    z = tmp_path / "bad.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    with pytest.raises(IngestError, match=why):
        read_table(z)
