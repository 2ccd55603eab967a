"""The embedded default shows the promise: its measured contracts are real Covenant contracts,
created from the starter templates with the demo's SLA terms, sent and signed through the signing
workflow by demo signers (link authentication), sealed, and registered from their sealed
documents; one more contract is still out for signature. The tickets are the SLA engine's
deterministic demo export, loaded through the real ingest."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import Engine

from contracts.adapters import audit_anchor
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.documents.starters import STARTERS
from contracts.domain.events import EnvelopeCompleted
from contracts.errors import NotFound
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service
from flows import bus
from flows.measure import register_signed
from sla_engine.demo import DEMO_DIR, build_demo
from sla_engine.rulebook.terms import Terms, load_terms
from sla_engine.store.core import Store

# contract number -> (starter template, customer name)
DEMO_CONTRACTS = {
    "ACME-SAAS": ("saas-support", "Acme Retail Inc."),
    "GLOBEX-EU": ("saas-support", "Globex Bavaria GmbH"),
    "INITECH-APAC": ("hardware-maintenance", "Initech Pty Ltd"),
}
SIGNING_LINK = re.compile(r"\S+/sign\?token=\S+")  # contracts/services/invitations.py
PENDING = "UMBRELLA-NA"  # sent, not signed yet
TERM_END = date(2026, 12, 31)  # contracts whose terms are open-ended run to here


def _fields(template: str, customer: str, t: Terms, end: date) -> dict[str, Any]:
    values = json.loads((STARTERS / "examples" / f"{template}.json").read_text())
    sla = t.model_dump(
        mode="json", exclude={"contract_id", "version", "effective_from", "effective_to"}
    )
    values["sla"] = {**sla, "tier_descriptions": values["sla"].get("tier_descriptions", {})}
    values["sla"]["tier_descriptions"] = {
        k: v for k, v in values["sla"]["tier_descriptions"].items() if k in t.tiers
    }
    for p in values["parties"]:
        if p["role"] == "customer":
            p["name"] = customer
    values["title"] = f"{values['title']}: {customer}"
    values["start_date"], values["end_date"] = t.effective_from.isoformat(), end.isoformat()
    return values


def _sign_all(engine: Engine, contract_id: str, values: dict[str, Any]) -> str:
    """Send to the contract's two signers (link authentication), both consent and sign; the
    envelope's id."""
    signers = [
        {"name": s["name"], "email": s["email"], "role": s["title"], "group": 1}
        for s in values["signers"]
    ]
    env_id = signing.send_for_signature(
        UnitOfWork(engine), contract_id, signers, "legal@demo.invalid", auth_method="email_link"
    )
    names = {s["email"]: s["name"] for s in values["signers"]}
    with UnitOfWork(engine) as uow:
        mails = uow.envelopes.mail_for(env_id)
    for to, body in mails:
        link = SIGNING_LINK.search(body)
        if link is None or to not in names:
            continue  # not an invitation (a notice to the sender)
        token = parse_qs(urlsplit(link.group(0)).query)["token"][0]
        signing.open_link(UnitOfWork(engine), token, "127.0.0.1", "Covenant demo")
        signing.give_consent(UnitOfWork(engine), token, "127.0.0.1", "Covenant demo")
        signing.sign(UnitOfWork(engine), token, "typed", names[to])
    return env_id


def build(engine: Engine, store_root: Path, if_absent: bool = False) -> str:
    """Contracts, signatures, seals and tickets of the demo (nothing when it is already there)."""
    store = Store(store_root)
    if if_absent and store.current() is not None:
        return f"store {store_root} already has data; demo not rebuilt"
    template_service.install_starters(UnitOfWork(engine))
    for number, (template, customer) in DEMO_CONTRACTS.items():
        versions = sorted(
            load_terms(DEMO_DIR / "terms" / f"{number}.json"), key=lambda t: t.effective_from
        )
        previous = None
        completed = None  # the envelope the demo completed last for this family
        for i, t in enumerate(versions):
            cid = number if i == 0 else f"{number}-A{i}"
            try:
                contract_service.terms_versions(UnitOfWork(engine), cid)
                with UnitOfWork(engine) as uow:
                    uow.repo.get_contract(cid)
                previous = cid
                continue  # already made by an earlier, interrupted run
            except NotFound:
                pass
            end = versions[-1].effective_to or TERM_END
            values = _fields(template, customer, t, end)
            contract_service.create_contract(
                UnitOfWork(engine),
                template,
                values,
                supersedes=previous,
                actor="demo",
                contract_id=cid,
            )
            completed = _sign_all(engine, cid, values)
            previous = cid
        if completed is not None and previous is not None:  # signed -> measured, as anywhere
            bus.handle(EnvelopeCompleted(completed, previous), store, UnitOfWork(engine), "demo")
        else:  # every version was signed by an earlier, interrupted run: register them
            register_signed(store, UnitOfWork(engine), number, actor="demo")
    _pending(engine)
    audit_anchor.checkpoint_if_due(UnitOfWork(engine))  # the trail is anchored from the start
    return build_demo(store_root, register_terms=False)


def _pending(engine: Engine) -> None:
    try:
        with UnitOfWork(engine) as uow:
            uow.repo.get_contract(PENDING)
        return
    except NotFound:
        pass
    values = json.loads((STARTERS / "examples" / "saas-support.json").read_text())
    values["title"] = f"{values['title']}: Umbrella Logistics"
    for p in values["parties"]:
        if p["role"] == "customer":
            p["name"] = "Umbrella Logistics Corp."
    values["start_date"], values["end_date"] = "2027-01-01", "2027-12-31"
    contract_service.create_contract(
        UnitOfWork(engine), "saas-support", values, actor="demo", contract_id=PENDING
    )
    signing.send_for_signature(
        UnitOfWork(engine),
        PENDING,
        [
            {"name": s["name"], "email": s["email"], "role": s["title"], "group": i + 1}
            for i, s in enumerate(values["signers"])
        ],
        "legal@demo.invalid",
        auth_method="email_link",
    )


SIMULATED = "globex-zendesk (simulated)"
SIMULATED_CONTRACT = "GLOBEX-EU"


def connect_simulator(engine: Engine, port: int) -> str:
    """The demo's help-desk connection to the simulated Zendesk (flows/simulator.py), pulled every
    minute by the worker, feeding GLOBEX-EU; Zendesk's priorities mapped to its tiers. Nothing
    when it exists already."""
    from datetime import UTC, datetime

    from contracts.errors import SettingsError
    from contracts.services import connections, routing
    from flows import simulator

    try:
        connections.by_name(UnitOfWork(engine), SIMULATED)
        return f"connection {SIMULATED!r} already there"
    except SettingsError:
        pass
    _, labels = routing.all_routing(UnitOfWork(engine))
    wanted = {"urgent": "P1", "high": "P2", "normal": "P3"}
    missing = {k: v for k, v in wanted.items() if k not in labels.get(SIMULATED_CONTRACT, {})}
    if missing:
        routing.update(UnitOfWork(engine), SIMULATED_CONTRACT, "demo", labels=missing)
    connections.add(
        UnitOfWork(engine),
        SIMULATED,
        "zendesk",
        f"http://127.0.0.1:{port}",
        simulator.DEMO_USER,
        simulator.DEMO_TOKEN,
        "demo",
        contract_id=SIMULATED_CONTRACT,
        every="1m",
        since=datetime.now(UTC) - simulator.HISTORY,
    )
    return f"connection {SIMULATED!r} added: the worker pulls it every minute"
