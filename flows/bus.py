"""A small message bus: what follows a domain event is written once, here.

An `EnvelopeCompleted` (every signer signed, the document sealed) registers the contract's signed
terms with the SLA engine (flows/measure.py `register_signed`, which first checks the seal). The
signing page, the Contracts page's retry, `python -m flows complete`, the worker's retry of
stalled completions and the demo all hand the event to `handle`; none of them registers terms by
itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.domain.events import EnvelopeCompleted
from flows.measure import Registered, register_signed
from sla_engine.store.core import Store

Handler = Callable[[Any, Store, UnitOfWork, str], Any]


def measure_signed_terms(
    event: EnvelopeCompleted, store: Store, uow: UnitOfWork, actor: str
) -> Registered:
    """Signed -> measured: the completed envelope's contract family is registered as signed."""
    return register_signed(store, uow, event.contract_id, actor)


HANDLERS: dict[type, list[Handler]] = {EnvelopeCompleted: [measure_signed_terms]}


def handle(event: object, store: Store, uow: UnitOfWork, actor: str) -> list[Any]:
    """Run every handler of the event's type, in order; their results, in the same order."""
    return [h(event, store, uow, actor) for h in HANDLERS.get(type(event), [])]
