"""A priority label that already means a tier is not silently re-pointed: the change must be
confirmed, and the audit entry keeps the tier it had."""

from __future__ import annotations

import pytest

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import SettingsError
from contracts.services import routing


def test_relabelling_needs_confirmation_and_is_audited_with_the_old_tier(engine, contract):
    routing.update(UnitOfWork(engine), contract, "sam", labels={"1 - Critical": "P1"})
    routing.update(UnitOfWork(engine), contract, "sam", labels={"1 - Critical": "P1"})  # same: ok
    with pytest.raises(SettingsError, match="already means P1"):
        routing.update(UnitOfWork(engine), contract, "sam", labels={"1 - Critical": "P2"})
    _, labels = routing.all_routing(UnitOfWork(engine))
    assert labels[contract]["1 - Critical"] == "P1"
    routing.update(UnitOfWork(engine), contract, "sam", labels={"1 - Critical": "P2"}, relabel=True)
    _, labels = routing.all_routing(UnitOfWork(engine))
    assert labels[contract]["1 - Critical"] == "P2"
    with UnitOfWork(engine) as uow:
        last = [e for e in uow.audit_entries(contract) if e["kind"] == "contract.routing_changed"]
    assert last[-1]["payload"]["labels_replaced"] == {"1 - Critical": {"from": "P1", "to": "P2"}}
