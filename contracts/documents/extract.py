"""Reading SLA terms back from a contract PDF: the embedded `sla-terms.json`, else the sla.* form
fields (so a contract signed in another product that keeps the fields still yields its terms)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from contracts.documents.formfields import fields_to_terms
from contracts.documents.pdf import ATTACHMENT
from contracts.errors import TermsExtractionError
from sla_engine.rulebook.terms import Terms


def extract_terms(pdf: bytes | str | Path, source: str | None = None) -> Terms:
    """SLA terms from a contract PDF: the embedded JSON, else the sla.* form fields."""
    data = Path(pdf).read_bytes() if isinstance(pdf, (str, Path)) else pdf
    where = source or (str(pdf) if isinstance(pdf, (str, Path)) else "<pdf>")
    try:
        reader = PdfReader(io.BytesIO(data))
        attachments = reader.attachments
        fields = reader.get_fields() or {}
    except (PdfReadError, ValueError, KeyError) as exc:
        raise TermsExtractionError(where, [("(file)", f"not a readable PDF: {exc}")]) from exc
    if ATTACHMENT in attachments:
        raw = attachments[ATTACHMENT][0]
        try:
            return Terms.model_validate(json.loads(raw))
        except (ValueError, TypeError) as exc:
            raise TermsExtractionError(
                where, [(ATTACHMENT, f"not valid SLA terms: {exc}")]
            ) from exc
    values = {
        k: (v.get("/V") if hasattr(v, "get") else None)
        for k, v in fields.items()
        if k.startswith("sla.")
    }
    if not values:
        raise TermsExtractionError(
            where, [("sla.*", "no embedded sla-terms.json and no sla.* form fields")]
        )
    return fields_to_terms(
        {k: (str(v) if v is not None else None) for k, v in values.items()}, where
    )
