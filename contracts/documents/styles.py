"""The look of every PDF Covenant makes (contract, certificate, evidence, renewal brief)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.platypus import Paragraph, TableStyle

_SS = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("t", parent=_SS["Title"], fontSize=18, spaceAfter=4),
    "sub": ParagraphStyle(
        "s", parent=_SS["Normal"], alignment=TA_CENTER, textColor=colors.grey, spaceAfter=10
    ),
    "h": ParagraphStyle("h", parent=_SS["Heading2"], fontSize=12, spaceBefore=10, spaceAfter=4),
    "p": ParagraphStyle("p", parent=_SS["BodyText"], fontSize=9.5, leading=13),
    "small": ParagraphStyle(
        "sm", parent=_SS["BodyText"], fontSize=8, leading=10, textColor=colors.grey
    ),
    "cell": ParagraphStyle("c", parent=_SS["BodyText"], fontSize=8.5, leading=10.5),
}
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf2")),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def para(text: str, style: str = "p") -> Paragraph:
    """A paragraph of plain text: markup characters are escaped, never interpreted."""
    return Paragraph(escape(text), STYLES[style])
