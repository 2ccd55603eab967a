"""Shared signing fixtures: a local seal CA, the seal environment, a draft contract, a signer's
walk."""

from __future__ import annotations

import subprocess

import pytest
from contracts_fixtures import example

from contracts.adapters.mailer import deliver
from contracts.adapters.seal import ensure_local_ca
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import signing
from contracts.services import templates as template_service

CUSTOMER, VENDOR = "dana.whitfield@acme.example", "ravi.menon@cloudworks.example"
SIGNERS = [
    {"name": "Dana Whitfield", "email": CUSTOMER, "role": "Customer CIO", "group": 1},
    {"name": "Ravi Menon", "email": VENDOR, "role": "Vendor VP", "group": 2},
]


@pytest.fixture(scope="module")
def seal_ca(tmp_path_factory):
    return ensure_local_ca(tmp_path_factory.mktemp("secrets"))


@pytest.fixture
def seal_env(seal_ca, monkeypatch):
    monkeypatch.setenv("COVENANT_SEAL_KEY", str(seal_ca["seal-key"]))
    monkeypatch.setenv("COVENANT_SEAL_CERT", str(seal_ca["seal-cert"]))
    monkeypatch.setenv("COVENANT_SEAL_CHAIN", str(seal_ca["root-cert"]))
    monkeypatch.delenv("COVENANT_TSA_URL", raising=False)


@pytest.fixture
def contract(engine):
    template_service.install_starters(UnitOfWork(engine))
    return contract_service.create_contract(
        UnitOfWork(engine), "saas-support", example("saas-support")
    ).id


def sign_in(engine, inbox, cfg, email_addr: str, name: str) -> str:
    deliver(engine, cfg)
    token = inbox.last_link_token(email_addr)
    view = signing.open_link(UnitOfWork(engine), token, "203.0.113.7", "pytest-browser")
    assert view.my_turn and view.needs_code and view.document.startswith(b"%PDF")
    signing.request_code(UnitOfWork(engine), token)
    deliver(engine, cfg)
    proof = signing.verify_code(
        UnitOfWork(engine), token, inbox.last_code(email_addr), "203.0.113.7", "pytest-browser"
    )
    assert proof
    signing.give_consent(UnitOfWork(engine), token, "203.0.113.7", "pytest-browser")
    return signing.sign(
        UnitOfWork(engine), token, "typed", name, "203.0.113.7", "pytest-browser", proof=proof
    )


def final_pdf(engine, envelope_id) -> bytes:
    with UnitOfWork(engine) as uow:
        return bytes(uow.envelopes.document(envelope_id, "final").data)


def nss_db(tmp_path, root_pem) -> str:
    db = tmp_path / "nss"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", f"sql:{db}", "-n", "root", "-t", "CT,C,C", "-i", str(root_pem)],
        check=True,
    )
    return f"sql:{db}"
