"""Retention and privacy settings: years per template and per contract over the default, audited;
no personal data from a help desk export reaches the store; evidence views and exports audited."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from contracts_fixtures import example
from helpers import terms_doc

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import RetentionError
from contracts.services import contracts as contract_service
from contracts.services import evidence_access, retention
from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store


def _contract(engine) -> str:
    return contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support"), actor="lee"
    ).id


def test_a_contract_or_its_template_keeps_its_own_years(engine):
    from contracts.services.templates import install_starters

    install_starters(UnitOfWork(engine))
    cid = _contract(engine)
    assert retention.retention_years(UnitOfWork(engine), cid) == 7
    retention.set_overrides(UnitOfWork(engine), {"per_template": {"saas-support": 10}}, "ida")
    assert retention.retention_years(UnitOfWork(engine), cid) == 10
    retention.set_overrides(
        UnitOfWork(engine),
        {"per_template": {"saas-support": 10}, "per_contract": {cid: 12}},
        "ida",
    )
    st = retention.status(UnitOfWork(engine), cid)
    end = date.fromisoformat(example("saas-support")["end_date"])
    assert st.keep_until == end.replace(year=end.year + 12)
    with UnitOfWork(engine) as uow:
        (entry, *_rest) = [e for e in reversed(uow.audit_entries("settings:retention"))]
    assert entry["payload"]["to"]["per_contract"] == {cid: 12} and entry["actor"] == "ida"


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({"per_template": {"no-such": 5}}, "no template"),
        ({"per_contract": {"C-404": 5}}, "no contract"),
        ({"per_template": {"saas-support": 0}}, "1 to 50 years"),
    ],
)
def test_a_retention_setting_that_cannot_apply_is_refused(engine, values, why):
    from contracts.services.templates import install_starters

    install_starters(UnitOfWork(engine))
    with pytest.raises(RetentionError, match=why):
        retention.set_overrides(UnitOfWork(engine), values, "ida")


def test_no_personal_data_from_an_export_reaches_the_store(tmp_path):
    """A Zendesk API export with requesters, e-mails, subjects and descriptions: none of them is
    in any table of the store."""
    secrets = [
        "Ada Lovelace",
        "ada@analytical.example",
        "Engine refuses to start",
        "my password is hunter2",
    ]
    doc = {
        "tickets": [
            {
                "id": 7,
                "created_at": "2025-03-04T15:00:00Z",
                "updated_at": "2025-03-04T17:00:00Z",
                "priority": "urgent",
                "status": "solved",
                "subject": secrets[2],
                "description": secrets[3],
                "requester": {"name": secrets[0], "email": secrets[1]},
                "via": {"source": {"from": {"address": secrets[1], "name": secrets[0]}}},
            },
        ],
        "metric_sets": [
            {
                "ticket_id": 7,
                "replied_at": "2025-03-04T15:10:00Z",
                "solved_at": "2025-03-04T17:00:00Z",
            }
        ],
    }
    f = tmp_path / "zendesk.json"
    f.write_text(json.dumps(doc))
    store = Store(tmp_path / "store")
    store.add_terms(
        parse_terms(terms_doc(contract_id="ACME", severity_map={"urgent": "P1", "normal": "P2"}))
    )
    ingest(store, f, "zendesk", contract="ACME")
    con = duckdb.connect()
    text = []
    for p in sorted((store.root).rglob("*.parquet")):
        rows = con.execute(f"SELECT * FROM read_parquet('{p}')").fetchall()
        text.append(json.dumps(rows, default=str))
    everything = " ".join(text)
    assert "7" in everything  # the ticket is there
    for s in secrets:
        assert s not in everything, s


def test_evidence_views_and_exports_are_in_the_contracts_trail(engine):
    evidence_access.record(
        UnitOfWork(engine), "fin", "ACME", "2025-03 P1 resolution breaches", "view", "10.0.0.2"
    )
    evidence_access.record(
        UnitOfWork(engine), "fin", "ACME", "2025-03 P1 resolution breaches", "pdf"
    )
    with UnitOfWork(engine) as uow:
        trail = uow.audit_entries("ACME")
    assert [(e["kind"], e["actor"], e["payload"]["format"]) for e in trail] == [
        ("evidence.viewed", "fin", "view"),
        ("evidence.exported", "fin", "pdf"),
    ]
