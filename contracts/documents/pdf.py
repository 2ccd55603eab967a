"""Contract PDFs (reportlab) that carry their SLA terms (extract.py reads them back).

The terms travel twice: as read-only AcroForm text fields named by the convention in formfields.py
(so a contract signed in another product still carries them) and as an embedded file
`sla-terms.json` (exact JSON). The SLA section's tables and sentences are in sla_section.py.
"""

from __future__ import annotations

import hashlib
import io
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from contracts.documents.formfields import terms_to_fields
from contracts.documents.render import blocks
from contracts.documents.sla_section import credits_text, hours_text, sla_table
from contracts.documents.styles import GRID, STYLES, para
from contracts.domain.fields import ContractFields

ATTACHMENT = "sla-terms.json"


def _p(text: str, style: str = "p") -> Paragraph:
    return para(text, style)


def _signature_cell(sig: dict | None):
    """The right-hand cell of a signature block: empty lines to sign on, or the adopted
    signature."""
    if not sig:
        return Paragraph("Signature:<br/><br/><br/>Date:", STYLES["cell"])
    flow = []
    if sig.get("kind") == "drawn" and sig.get("image"):
        import base64

        from reportlab.platypus import Image

        raw = base64.b64decode(sig["image"].split(",", 1)[-1])
        flow.append(Image(io.BytesIO(raw), width=45 * mm, height=12 * mm, kind="proportional"))
    else:
        flow.append(
            Paragraph(
                f'<font name="Times-BoldItalic" size="17">{escape(sig.get("value", ""))}</font>',
                STYLES["cell"],
            )
        )
    flow.append(
        Paragraph(
            f"Signed electronically by {escape(sig['name'])}<br/>{escape(sig['at'])} UTC<br/>"
            f"Signer ID {escape(sig['signer_id'])}",
            STYLES["small"],
        )
    )
    return flow


def render_pdf(
    contract_id: str,
    title: str,
    fields: ContractFields,
    clause_text: str,
    template_label: str,
    signatures: dict[str, dict] | None = None,
    appendix: list | None = None,
) -> bytes:
    """The contract as PDF bytes, with its SLA terms as form fields and an embedded JSON file.

    `signatures` (signer e-mail -> name, at, signer_id, kind, value/image) fills the signature
    blocks;
    `appendix` (reportlab flowables) is added after a page break, e.g. the certificate of
    completion.
    """
    terms = fields.terms(contract_id, version=template_label)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=fields.party("vendor").name,
        subject=f"Contract {contract_id}",
        creator="Covenant",
    )
    cust, vend = fields.party("customer"), fields.party("vendor")
    story = [
        Paragraph(escape(title), STYLES["title"]),
        _p(
            f"Contract {contract_id} · {template_label} · term {fields.start_date} to "
            f"{fields.end_date}",
            "sub",
        ),
        Paragraph("Parties", STYLES["h"]),
    ]
    party_rows = [
        ["", "Customer", "Vendor"],
        ["Name", cust.name, vend.name],
        [
            "Address",
            Paragraph(escape(cust.address), STYLES["cell"]),
            Paragraph(escape(vend.address), STYLES["cell"]),
        ],
        ["Registration", cust.registration or "-", vend.registration or "-"],
    ]
    pt = Table(party_rows, colWidths=[28 * mm, 70 * mm, 70 * mm])
    pt.setStyle(GRID)
    story += [pt, Paragraph("Scope of services", STYLES["h"])]
    story.append(
        ListFlowable([ListItem(_p(s)) for s in fields.scope], bulletType="bullet", leftIndent=12)
    )
    if fields.exclusions:
        story += [_p("Excluded from this agreement:")]
        story.append(
            ListFlowable(
                [ListItem(_p(s)) for s in fields.exclusions], bulletType="bullet", leftIndent=12
            )
        )
    story += [
        Paragraph("Service levels", STYLES["h"]),
        sla_table(terms, fields.sla.tier_descriptions),
        Spacer(1, 4),
        _p(hours_text(terms)),
        _p(
            "Response time runs from the ticket's creation to the first response by the Vendor; "
            "resolution "
            f"time to the final resolution. Time in the statuses "
            f"{', '.join(terms.pause_statuses) or '(none)'} "
            "and time a ticket spent resolved before it was reopened do not count. "
            + (
                "A target is met when the time is at most the target. "
                if terms.met_when_equal
                else "A target is met when the time is strictly below the target. "
            )
            + (
                "When a ticket's severity changes, the new severity's targets apply from the "
                "change."
                if terms.severity_change == "from_change"
                else "When a ticket's severity changes, the final severity's targets apply from "
                "creation."
            )
        ),
        Paragraph("Service credits", STYLES["h"]),
        _p(credits_text(terms)),
        Paragraph("Term and renewal", STYLES["h"]),
        _p(
            f"This agreement runs from {fields.start_date} to {fields.end_date}. "
            + (
                f"It renews automatically for successive terms of {fields.renewal_term_months} "
                f"months unless "
                f"either party gives written notice at least {fields.notice_period_days} days "
                f"before the end "
                "of the current term."
                if fields.auto_renew
                else "It does not renew automatically."
            )
        ),
    ]
    for b in blocks(clause_text):
        if b.kind == "heading":
            story.append(Paragraph(escape(b.text), STYLES["h"]))
        elif b.kind == "bullet":
            story.append(ListFlowable([ListItem(_p(b.text))], bulletType="bullet", leftIndent=12))
        else:
            story.append(_p(b.text))
    sig_rows = []
    for s in fields.signers:
        party = cust.name if s.party == "customer" else vend.name
        sig_rows.append(
            [
                Paragraph(
                    f"<b>{escape(party)}</b><br/>{escape(s.name)}, {escape(s.title)}<br/>"
                    f"{escape(s.email)}",
                    STYLES["cell"],
                ),
                _signature_cell((signatures or {}).get(s.email)),
            ]
        )
    listed = {s.email for s in fields.signers}
    for email, sig in (
        signatures or {}
    ).items():  # signers added at sending time, beyond the contract's list
        if email not in listed:
            sig_rows.append(
                [
                    Paragraph(
                        f"<b>{escape(sig.get('role', 'Signer'))}</b><br/>{escape(sig['name'])}<br/>"
                        f"{escape(email)}",
                        STYLES["cell"],
                    ),
                    _signature_cell(sig),
                ]
            )
    st = Table(sig_rows, colWidths=[85 * mm, 83 * mm], rowHeights=[24 * mm] * len(sig_rows))
    st.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.4, colors.grey),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(KeepTogether([Paragraph("Signatures", STYLES["h"]), st]))
    story.append(Spacer(1, 6))
    story.append(
        _p(
            "The service levels above are also embedded in this file in machine-readable form "
            "(form "
            "fields named sla.* and the attachment sla-terms.json); they are part of this "
            "agreement.",
            "small",
        )
    )
    if appendix:
        story += [PageBreak(), *appendix]
    form_fields = terms_to_fields(terms)

    def on_page(canvas, _doc) -> None:
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(20 * mm, 10 * mm, f"{title} · {contract_id}")
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"Page {canvas.getPageNumber()}")

    def on_first_page(canvas, doc_) -> None:
        on_page(canvas, doc_)
        # the SLA terms as hidden, read-only text fields (names: see formfields.py)
        for i, (name, value) in enumerate(sorted(form_fields.items())):
            canvas.acroForm.textfield(
                name=name,
                value=value,
                x=1,
                y=1 + (i % 5),
                width=1,
                height=1,
                borderWidth=0,
                fieldFlags="readOnly",
                annotationFlags="hidden",
            )

    doc.build(story, onFirstPage=on_first_page, onLaterPages=on_page)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.add_attachment(ATTACHMENT, terms.model_dump_json(indent=2).encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
