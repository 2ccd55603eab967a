"""Validating a sealed PDF with pyhanko: intact, trusted, and nothing added after the
certification."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SealCheck:
    ok: bool
    detail: str


def check_sealed(pdf: bytes, root_pem: str | Path | list[Path] | None = None) -> SealCheck:
    """Whether `pdf` carries an intact certification seal, chaining to the given root(s) (default:
    the deployment's trust list, seal.trust_paths()), with nothing changed after it."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        sigs = reader.embedded_signatures
        if not sigs:
            return SealCheck(False, "no signature")
        from contracts.adapters.seal import trust_paths

        roots = root_pem if isinstance(root_pem, list) else [root_pem] if root_pem else None
        vc = ValidationContext(
            trust_roots=[load_cert_from_pemder(str(p)) for p in roots or trust_paths()],
            allow_fetching=False,
        )
        st = validate_pdf_signature(sigs[0], vc)
    except Exception as exc:  # a damaged file fails validation; the reason is returned, not hidden
        return SealCheck(False, f"{type(exc).__name__}: {exc}")
    level = getattr(st.modification_level, "name", str(st.modification_level))
    coverage = getattr(st.coverage, "name", str(st.coverage))
    ok = bool(st.intact and st.valid and st.trusted and st.docmdp_ok and coverage == "ENTIRE_FILE")
    return SealCheck(
        ok,
        f"intact={st.intact} valid={st.valid} trusted={st.trusted} docmdp_ok={st.docmdp_ok} "
        f"coverage={coverage} modification={level}",
    )
