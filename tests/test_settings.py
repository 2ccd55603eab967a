"""Workflow defaults: the product's suggested settings out of the box, changed by an admin,
audited, used."""

from __future__ import annotations

from datetime import timedelta

import pytest
from contracts_fixtures import example

from contracts.adapters import audit
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import utcnow
from contracts.errors import SettingsError
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service
from contracts.services.settings import set_workflow_defaults, workflow_defaults

SIGNERS = [{"name": "Casey Customer", "email": "casey@customer.example", "role": "CIO", "group": 1}]


def test_out_of_the_box_defaults(engine):
    d = workflow_defaults(UnitOfWork(engine))
    assert (d.reminder_hours, d.routing, d.auth_method, d.expires_days, d.retention_years) == (
        48.0,
        "sequential",
        "email_code",
        30,
        7,
    )


@pytest.mark.parametrize(
    "values, field",
    [
        ({"reminder_hours": 0}, "reminder_hours"),
        ({"routing": "random"}, "routing"),
        ({"auth_method": "fax"}, "auth_method"),
        ({"retention_years": 0}, "retention_years"),
        ({"reminders": 12}, "reminders"),
    ],
)
def test_bad_values_are_refused_by_name_and_nothing_changes(engine, values, field):
    with pytest.raises(SettingsError, match=field):
        set_workflow_defaults(UnitOfWork(engine), values, "admin")
    assert workflow_defaults(UnitOfWork(engine)).reminder_hours == 48.0
    with UnitOfWork(engine) as uow:
        assert not [r for r in audit.entries(uow.session) if r.kind == "settings.workflow_changed"]


def test_a_change_is_audited_with_old_and_new_values_and_used_by_the_next_envelope(engine):
    set_workflow_defaults(
        UnitOfWork(engine),
        {"reminder_hours": 24, "auth_method": "email_link", "retention_years": 10},
        "admin",
    )
    set_workflow_defaults(
        UnitOfWork(engine),
        {"reminder_hours": 24, "auth_method": "email_link", "retention_years": 10},
        "admin",
    )  # the same values again: no second entry
    with UnitOfWork(engine) as uow:
        changes = [r for r in audit.entries(uow.session) if r.kind == "settings.workflow_changed"]
        assert len(changes) == 1 and changes[0].actor == "admin"
        assert changes[0].payload == {
            "reminder_hours": [48.0, 24.0],
            "auth_method": ["email_code", "email_link"],
            "retention_years": [7, 10],
        }
    template_service.install_starters(UnitOfWork(engine))
    cid = contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    ).id
    env_id = signing.send_for_signature(UnitOfWork(engine), cid, SIGNERS, "legal@acme.example")
    with UnitOfWork(engine) as uow:
        env = uow.envelopes.get(env_id)
        assert (env.auth_method, env.reminder_hours) == ("email_link", 24.0)
    now = utcnow()
    assert signing.remind_due(UnitOfWork(engine), now + timedelta(hours=23)) == 0
    assert (
        signing.remind_due(UnitOfWork(engine), now + timedelta(hours=25)) == 1
    )  # every 24 h now, not 48
