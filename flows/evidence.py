"""Breach evidence as PDF: the tickets with their calculation, tied to the contract, its terms
version and the
signed document's SHA-256, so the evidence points at exactly what was signed."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.documents.styles import GRID, STYLES
from sla_engine.reports.timeline import ticket_timelines
from sla_engine.reports.timeline_text import figures_in_words, segment_rows
from sla_engine.store.core import Store


def signed_document(uow: UnitOfWork, contract_id: str) -> str | None:
    """SHA-256 of the sealed PDF of the contract's completed envelope, if Covenant holds one."""
    with uow:
        return uow.envelopes.sealed_sha256(contract_id)


def evidence_pdf(
    title: str,
    facts: list[tuple[str, str]],
    table: pd.DataFrame,
    explained: list[tuple[str, list[str], pd.DataFrame]] | None = None,
) -> bytes:
    """The drill-down as a PDF; `explained` adds, per ticket, the engine's figures in words and
    its timeline segments (what counted, what did not and why)."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=title,
        creator="Covenant",
    )
    ft = Table(
        [
            [Paragraph(escape(a), STYLES["cell"]), Paragraph(escape(b), STYLES["cell"])]
            for a, b in facts
        ],
        colWidths=[60 * mm, 200 * mm],
    )
    ft.setStyle(GRID)
    rows = [list(table.columns)] + [
        [escape(str(v)) for v in r] for r in table.itertuples(index=False)
    ]
    tt = Table(rows, repeatRows=1)
    tt.setStyle(GRID)
    story = [
        Paragraph(escape(title), STYLES["title"]),
        ft,
        Spacer(1, 6),
        Paragraph(f"{len(table)} tickets", STYLES["h"]),
        tt,
    ]
    for ticket, words, segments in explained or []:
        story += [Spacer(1, 8), Paragraph(escape(f"Why ticket {ticket}"), STYLES["h"])]
        story += [Paragraph(escape(w), STYLES["cell"]) for w in words]
        seg = Table(
            [list(segments.columns)]
            + [[escape(str(v)) for v in r] for r in segments.itertuples(index=False)],
            repeatRows=1,
        )
        seg.setStyle(GRID)
        story.append(seg)
    if explained is not None and len(explained) < len(table):
        story.append(
            Paragraph(
                escape(
                    f"Timelines of the first {len(explained)} of {len(table)} tickets; the CSV "
                    "and XLSX exports list every ticket."
                ),
                STYLES["cell"],
            )
        )
    doc.build(story)
    return buf.getvalue()


def explained_tickets(
    store: Store, contract_id: str, ticket_ids: list[str], as_of_us: int
) -> list[tuple[str, list[str], pd.DataFrame]]:
    """Each ticket's figures in words and its timeline's segments, as the evidence PDF explains a
    breach (the engine's timeline, never recomputed here)."""
    return [
        (tl.ticket_id, figures_in_words(tl), segment_rows(tl).drop(columns="ticket"))
        for tl in ticket_timelines(store, contract_id, ticket_ids, as_of_us)
    ]


def evidence_pack_pdf(
    store: Store,
    title: str,
    facts: list[tuple[str, str]],
    trace: pd.DataFrame,
    contract_id: str,
    as_of_us: int,
) -> bytes:
    """The Compliance drill-down's evidence PDF: the trace, and each breached ticket of it
    explained by its timeline."""
    breached = trace.loc[trace["state"] == "breached", "ticket"].astype(str).tolist()
    return evidence_pdf(
        title, facts, trace, explained_tickets(store, contract_id, breached, as_of_us)
    )
