"""RFC 3161 timestamps: added when a TSA is configured; a TSA failure is audited and never replaced
by local time."""

from __future__ import annotations

import io
import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from signing_fixtures import CUSTOMER

from contracts.adapters import audit
from contracts.adapters.mailer import deliver
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import NotFound, SealError, SigningError
from contracts.services import completion, signing

pytestmark = pytest.mark.usefixtures("seal_env")


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


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fully_signed(engine, contract, smtp):
    inbox, cfg = smtp
    env_id = signing.send_for_signature(
        UnitOfWork(engine),
        contract,
        [{"name": "Dana", "email": CUSTOMER, "role": "CIO"}],
        "legal@acme.example",
        auth_method="email_link",
    )
    deliver(engine, cfg)
    token = inbox.last_link_token(CUSTOMER)
    signing.give_consent(UnitOfWork(engine), token)
    return env_id, token


def test_tsa_failure_is_audited_and_retry_seals_with_timestamp(
    engine, contract, smtp, tsa, monkeypatch
):
    url, calls = tsa
    env_id, token = _fully_signed(engine, contract, smtp)
    monkeypatch.setenv("COVENANT_TSA_URL", f"http://127.0.0.1:{_dead_port()}/tsa")
    with pytest.raises(SealError, match="sealing failed"):
        signing.sign(UnitOfWork(engine), token, "typed", "Dana")
    with UnitOfWork(engine) as uow:
        env = uow.envelopes.get(env_id)
        kinds = [r.kind for r in audit.entries(uow.session, env_id)]
        assert env.status == "sent" and env.signers[0].status == "signed"  # the signature is kept
        with pytest.raises(NotFound):
            uow.envelopes.document(env_id, "final")
    assert "envelope.seal_failed" in kinds and "envelope.completed" not in kinds
    with pytest.raises(SigningError, match="already signed"):
        signing.sign(UnitOfWork(engine), token, "typed", "Dana")
    monkeypatch.setenv("COVENANT_TSA_URL", url)
    assert completion.complete(UnitOfWork(engine), env_id) is True
    assert calls, "the TSA was asked"
    with UnitOfWork(engine) as uow:
        pdf = bytes(uow.envelopes.document(env_id, "final").data)
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    unsigned = sig.signer_info["unsigned_attrs"]
    assert any(
        a["type"].native == "signature_time_stamp_token" for a in unsigned
    )  # RFC 3161 token in the seal
