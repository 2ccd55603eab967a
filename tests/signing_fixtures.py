"""Shared signing fixtures: a local seal CA, the seal environment, a draft contract, a signer's
walk."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from contracts_fixtures import example
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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


def _tsa_cert(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    now = datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "tsa.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "tsa.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tmp_path / "tsa.pem", tmp_path / "tsa.key"


@pytest.fixture
def tsa(tmp_path):
    """A real HTTP time-stamping authority on loopback (pyhanko's DummyTimeStamper behind
    http.server)."""
    from asn1crypto import tsp
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign import timestamps

    cert, key = _tsa_cert(tmp_path)
    dummy = timestamps.DummyTimeStamper(
        tsa_cert=load_cert_from_pemder(str(cert)),
        tsa_key=load_private_key_from_pemder(str(key), passphrase=None),
    )
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(len(body))
            reply = dummy.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/tsa", calls
    srv.shutdown()
    srv.server_close()


def sign_through_the_workflow(engine, contract_id: str) -> str:
    """Send a contract to one signer (link authentication), consent and sign: it ends signed and
    sealed, the only way a contract becomes signed. Returns the envelope id."""
    from sqlalchemy import select

    from contracts.adapters.orm import OutboxRow

    env_id = signing.send_for_signature(
        UnitOfWork(engine),
        contract_id,
        [{"name": "Dana Whitfield", "email": "dana@acme.example", "role": "CIO"}],
        "legal@acme.example",
        auth_method="email_link",
    )
    with UnitOfWork(engine) as uow:
        body = uow.session.scalars(
            select(OutboxRow.body).where(OutboxRow.envelope_id == env_id).order_by(OutboxRow.id)
        ).first()
    token = body.split("token=")[1].split()[0]
    signing.give_consent(UnitOfWork(engine), token)
    assert signing.sign(UnitOfWork(engine), token, "typed", "Dana Whitfield") == "completed"
    return env_id
