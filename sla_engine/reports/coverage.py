"""The store's tickets that no SLA terms version judges (the rule: sla_engine/rulebook/coverage.py),
for the pages and the worker that say so."""

from __future__ import annotations

from sla_engine.rulebook.coverage import Uncovered, uncovered
from sla_engine.sqlfiles import connect
from sla_engine.store.core import Store


def store_uncovered(store: Store) -> list[Uncovered]:
    """The same over every ticket of the store's current generation (none for an empty store)."""
    if store.current() is None:
        return []
    con = connect()
    try:
        store.attach(con)
        return uncovered(con, store.terms())
    finally:
        con.close()
