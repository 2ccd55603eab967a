"""Templates, versions, contracts and their lifecycle through the real store (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from contracts_fixtures import example
from signing_fixtures import sign_through_the_workflow
from sqlalchemy import text

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import FieldsError, FrozenVersionError, IllegalTransition, NotFound
from contracts.services import contracts as contract_service
from contracts.services import templates as template_service


def test_starters_installed_published_with_hashes(engine):
    assert template_service.install_starters(UnitOfWork(engine)) == [
        "hardware-maintenance",
        "healthcare-it",
        "saas-support",
    ]
    assert template_service.install_starters(UnitOfWork(engine)) == []
    with UnitOfWork(engine) as uow:
        t = uow.repo.get_template("saas-support")
    v = t.version(1)
    assert v.frozen and len(v.text_sha256) == 64 and len(v.schema_sha256) == 64


def test_published_version_is_frozen_and_edit_makes_new_draft(engine):
    template_service.install_starters(UnitOfWork(engine))
    with UnitOfWork(engine) as uow:
        t = uow.repo.get_template("saas-support")
        with pytest.raises(FrozenVersionError):
            t.edit_version(1, "tampered")
        t.version(1).text = "tampered behind the domain's back"
        with pytest.raises(FrozenVersionError, match="published"):
            uow.repo.save_template(t)
    with UnitOfWork(engine) as uow:  # the stored v1 is unchanged
        old = uow.repo.get_template("saas-support").version(1)
    assert "tampered" not in old.text
    n = template_service.edit_template(
        UnitOfWork(engine),
        "saas-support",
        old.text.replace("five business days", "ten business days"),
    )
    assert n == 2
    with UnitOfWork(engine) as uow:
        t = uow.repo.get_template("saas-support")
        assert t.version(1).text_sha256 == old.text_sha256 and t.latest.status == "draft"
        diff = t.diff(1, 2)
    assert (
        "five business days" in diff
        and "ten business days" in diff
        and diff.startswith("--- saas-support v1")
    )
    # a draft cannot be used for contracts until published
    with pytest.raises(IllegalTransition, match="draft"):
        contract_service.create_contract(
            UnitOfWork(engine), "saas-support@2", example("saas-support")
        )
    assert template_service.publish_template(UnitOfWork(engine), "saas-support") == 2
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    )
    assert c.template_version == 2


def test_contract_records_exact_template_version(engine):
    template_service.install_starters(UnitOfWork(engine))
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support@1", example("saas-support")
    )
    with UnitOfWork(engine) as uow:
        stored = uow.repo.get_contract(c.id)
        v1 = uow.repo.get_template("saas-support").version(1)
    assert (stored.template_name, stored.template_version, stored.template_text_sha256) == (
        "saas-support",
        1,
        v1.text_sha256,
    )


def test_required_fields_named_all_at_once(engine):
    template_service.install_starters(UnitOfWork(engine))
    values = example("healthcare-it")
    for k in ("hipaa", "governing_law", "start_date"):
        values.pop(k)
    values["sla"]["tiers"]["S1"]["response_minutes"] = -1
    values["handles_health_data"] = False
    with pytest.raises(FieldsError) as err:
        contract_service.create_contract(UnitOfWork(engine), "healthcare-it", values)
    named = {f for f, _ in err.value.problems}
    assert {
        "hipaa",
        "handles_health_data",
        "governing_law",
        "start_date",
        "sla.tiers.S1.response_minutes",
    } <= named
    with UnitOfWork(engine) as uow:
        assert uow.repo.list_contracts() == []


@pytest.mark.parametrize(
    "to, message",
    [
        ("signed", "becomes signed only when its envelope completes"),
        ("out_for_signature", "not a move made by hand"),
        ("terminated", "not a move made by hand"),
        ("nonsense", "unknown state"),
    ],
)
def test_a_draft_cannot_be_moved_by_hand_where_signing_moves_it(engine, to, message):
    template_service.install_starters(UnitOfWork(engine))
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    )
    with pytest.raises(IllegalTransition, match=message):
        contract_service.transition(UnitOfWork(engine), c.id, to)
    with UnitOfWork(engine) as uow:
        assert uow.repo.get_contract(c.id).state == "draft"
        assert [e.kind for e in uow.events(c.id)] == ["contract.created"]


@pytest.mark.usefixtures("seal_env")
def test_a_signed_contract_is_terminated_by_hand_with_a_reason(engine):
    template_service.install_starters(UnitOfWork(engine))
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    )
    sign_through_the_workflow(engine, c.id)
    with pytest.raises(IllegalTransition, match="say why"):
        contract_service.transition(UnitOfWork(engine), c.id, "terminated", actor="legal")
    contract_service.transition(
        UnitOfWork(engine), c.id, "terminated", actor="legal", reason="vendor insolvent"
    )
    with UnitOfWork(engine) as uow:
        last = uow.events(c.id)[-1]
    assert last.payload == {"from": "signed", "to": "terminated", "reason": "vendor insolvent"}
    assert last.actor == "legal"


@pytest.mark.usefixtures("seal_env")
def test_terms_in_force_and_amendment(engine):
    template_service.install_starters(UnitOfWork(engine))
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    )
    with pytest.raises(NotFound, match="no signed SLA terms"):
        contract_service.terms_in_force(UnitOfWork(engine), c.id, date(2025, 3, 1))
    sign_through_the_workflow(engine, c.id)
    t = contract_service.terms_in_force(UnitOfWork(engine), c.id, date(2025, 3, 1))
    assert t.contract_id == c.id and t.tiers["P1"].response_minutes == 30
    amended = example("saas-support")
    amended["start_date"] = "2025-07-01"
    amended["sla"]["tiers"]["P1"]["response_minutes"] = 15
    a = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", amended, supersedes=c.id
    )
    # not signed yet: the original is still in force for the whole term
    assert (
        contract_service.terms_in_force(UnitOfWork(engine), c.id, date(2025, 8, 1))
        .tiers["P1"]
        .response_minutes
        == 30
    )
    sign_through_the_workflow(engine, a.id)
    before = contract_service.terms_in_force(UnitOfWork(engine), a.id, date(2025, 6, 30))
    after = contract_service.terms_in_force(UnitOfWork(engine), c.id, date(2025, 7, 1))
    assert before.tiers["P1"].response_minutes == 30 and before.effective_to == date(2025, 6, 30)
    assert after.tiers["P1"].response_minutes == 15 and after.contract_id == c.id
    assert len(contract_service.terms_versions(UnitOfWork(engine), c.id)) == 2
    with UnitOfWork(engine) as uow:  # the superseded contract is kept
        assert uow.repo.get_contract(c.id).state == "signed"


def test_renewal_and_notice_deadline(engine):
    template_service.install_starters(UnitOfWork(engine))
    c = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    )
    assert c.renewal_date() == date(2026, 1, 1)
    assert c.notice_deadline() == date(2025, 11, 1)  # 60 days before 2025-12-31


def test_schema_is_managed_by_alembic(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0015"
