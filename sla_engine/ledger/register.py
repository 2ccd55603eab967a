"""Registering SLA terms is a write: the terms join the store's table and the stored tickets are
judged against them at once (only the contracts whose terms changed), not at the first report."""

from __future__ import annotations

from sla_engine.ledger import core as ledger
from sla_engine.rulebook.terms import Terms
from sla_engine.store.core import Store


def register_terms(store: Store, new: list[Terms]) -> tuple[list[str], ledger.Ledger | None]:
    """Register terms versions and judge the stored tickets against them now, not at the first
    report.

    Returns the registered ids and the new ledger (None while the store has no tickets).
    """
    added = store.add_terms(new)
    gen = store.current()
    if gen is None:
        return added, None
    # only the contracts whose terms changed are judged again
    return added, ledger.build(gen, store.terms(), ledger.latest(gen))
