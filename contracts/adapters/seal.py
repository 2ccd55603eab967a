"""Sealing the completed PDF with a PAdES certification signature (pyhanko), and the local seal
certificate.

The seal certifies the document with DocMDP "no changes allowed", so any later change, even an
incremental
form-field update, makes validation fail. Key and certificate come from configuration:
  COVENANT_SEAL_P12 (+ COVENANT_SEAL_P12_PASSWORD)          a PKCS#12 file, or
  COVENANT_SEAL_KEY + COVENANT_SEAL_CERT (+ COVENANT_SEAL_CHAIN)  PEM files.
Without either, a local root CA and seal certificate are generated once in data/secrets/ (make run
does it).
That is for trying the product on one machine: production should use a certificate trusted by Adobe
(AATL)
or a key held in an HSM. COVENANT_TSA_URL adds an RFC 3161 timestamp; if the TSA fails, sealing
fails.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import config
from contracts.errors import SealError

SECRETS = Path(__file__).resolve().parents[2] / "data" / "secrets"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Covenant (local)"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def ensure_local_ca(folder: Path = SECRETS) -> dict[str, Path]:
    """A root CA and a seal certificate signed by it (PEM), created once; returns their paths."""
    paths = {k: folder / f"{k}.pem" for k in ("root-cert", "seal-key", "seal-cert")}
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    now = datetime.now(UTC) - timedelta(minutes=5)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Covenant Local Root CA"))
        .issuer_name(_name("Covenant Local Root CA"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("Covenant Document Seal"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name("seal@covenant.invalid")]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    paths["root-cert"].write_bytes(root.public_bytes(serialization.Encoding.PEM))
    paths["seal-cert"].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    fd = os.open(paths["seal-key"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return paths


def load_signer(folder: Path | None = None):
    """The pyhanko signer from configuration (PKCS#12, PEM) or the local seal certificate."""
    from pyhanko.sign import signers

    p12 = config.get("COVENANT_SEAL_P12")
    try:
        if p12:
            pw = (config.get("COVENANT_SEAL_P12_PASSWORD") or "").encode() or None
            return signers.SimpleSigner.load_pkcs12(p12, passphrase=pw)
        key, cert = config.get("COVENANT_SEAL_KEY"), config.get("COVENANT_SEAL_CERT")
        chain = tuple(p for p in (config.get("COVENANT_SEAL_CHAIN") or "").split(os.pathsep) if p)
        if not (key and cert):
            paths = ensure_local_ca(folder or SECRETS)
            key, cert, chain = (
                str(paths["seal-key"]),
                str(paths["seal-cert"]),
                (str(paths["root-cert"]),),
            )
        signer = signers.SimpleSigner.load(key, cert, ca_chain_files=chain)
    except (OSError, ValueError) as exc:
        raise SealError(f"cannot load the sealing key and certificate: {exc}") from exc
    if signer is None:
        raise SealError("cannot load the sealing key and certificate (wrong password or file?)")
    return signer


def seal_pdf(pdf: bytes, signer, reason: str, tsa_url: str | None = None) -> bytes:
    """Certify the PDF, no changes permitted, PAdES; with an RFC 3161 timestamp when a TSA is
    configured."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

    tsa_url = tsa_url if tsa_url is not None else config.get("COVENANT_TSA_URL")
    meta = signers.PdfSignatureMetadata(
        field_name="CovenantSeal",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason,
        location="Covenant",
        name="Covenant Document Seal",
    )
    stamper = timestamps.HTTPTimeStamper(tsa_url, timeout=20) if tsa_url else None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    try:
        signers.sign_pdf(
            writer,
            meta,
            signer=signer,
            timestamper=stamper,
            output=out,
            new_field_spec=fields.SigFieldSpec("CovenantSeal", on_page=-1, box=None),
        )
    except (
        Exception
    ) as exc:  # pyhanko raises many types; each means "not sealed", and callers audit it
        raise SealError(f"sealing failed: {type(exc).__name__}: {exc}") from exc
    return out.getvalue()


def trust_paths(folder: Path | None = None) -> list[Path]:
    """PEM files of the certificates this deployment trusts for its own seal (audit checkpoints,
    sealed documents): COVENANT_SEAL_TRUST (paths joined by the OS path separator), else the
    configured chain (COVENANT_SEAL_CHAIN), else the local root CA. Never taken from the database
    or from a document: what is verified must chain to one of these."""
    for var in ("COVENANT_SEAL_TRUST", "COVENANT_SEAL_CHAIN"):
        paths = [Path(p) for p in (config.get(var) or "").split(os.pathsep) if p]
        if paths:
            return paths
    if config.get("COVENANT_SEAL_P12") or config.get("COVENANT_SEAL_CERT"):
        raise SealError(
            "set COVENANT_SEAL_TRUST (or COVENANT_SEAL_CHAIN) to the root certificate that issued "
            "the seal certificate: without it nothing signed can be verified"
        )
    return [ensure_local_ca(folder or SECRETS)["root-cert"]]


def trusted_certificates(paths: list[Path] | None = None) -> list[x509.Certificate]:
    """The trusted certificates themselves (every certificate in each PEM file)."""
    out: list[x509.Certificate] = []
    for p in paths if paths is not None else trust_paths():
        try:
            out.extend(x509.load_pem_x509_certificates(Path(p).read_bytes()))
        except (OSError, ValueError) as exc:
            raise SealError(f"cannot read the trusted certificate {p}: {exc}") from exc
    if not out:
        raise SealError("no trusted certificate configured")
    return out


def key_folder() -> Path:
    """Where the seal key lives (outside the database): the audit checkpoint journal sits here."""
    for var in ("COVENANT_SEAL_P12", "COVENANT_SEAL_KEY"):
        if config.get(var):
            return Path(config.get(var) or "").resolve().parent
    return SECRETS
