"""Quarantine entries carry the rule a row broke and its parameter, so code reads data, never a
sentence: the Ingest page's "map these labels / customer keys" and the parked rows come from
`rule` and `value`; the reason stays the sentence people read."""

from __future__ import annotations

from pathlib import Path

from helpers import terms_doc

from sla_engine.ingest.routing import Routing
from sla_engine.ingest.run import dry_run
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

CSV = (
    "ticket_id,contract_id,severity,created_at,first_response_at,resolved_at\n"
    "1,C,P1,2025-03-03T10:00:00Z,2025-03-03T10:10:00Z,2025-03-03T12:00:00Z\n"
    "2,C,Sev 9,2025-03-03T10:00:00Z,,\n"
    "3,C,,2025-03-03T10:00:00Z,,\n"
    "4,acme-emea,P1,2025-03-03T10:00:00Z,,\n"
    "1,C,P1,2025-03-03T10:00:00Z,,\n"
)


def test_each_quarantined_row_names_its_rule_and_its_value(tmp_path: Path):
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(terms_doc()))
    f = tmp_path / "t.csv"
    f.write_text(CSV)
    _ex, valid = dry_run(store, f, "generic", tz="UTC", routing=Routing.of({"C": "C"}, {}))
    q = valid.quarantine.set_index("row")
    assert q.loc[2, "rule"] == "unknown severity" and q.loc[2, "value"] == "Sev 9"
    assert q.loc[2, "reason"] == "unknown severity Sev 9"
    assert q.loc[3, "rule"] == "no priority"
    assert q.loc[4, "rule"] == "customer key routes nowhere" and q.loc[4, "value"] == "acme-emea"
    assert q.loc[1, "rule"] == "duplicate ticket id" and q.loc[1, "value"] == "1"
