"""The credits workbook as finance reads an invoice: a summary sheet per contract and currency,
then one typed row per contract-month (numbers as numbers, amounts in their currency format,
months as dates), with headers, widths and frozen panes. Text cells cannot start a formula."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from sla_engine.reports.exports import safe_text

MONEY = '#,##0.00 "{cur}"'


def money(currency: object) -> str:
    """The number format of an amount in `currency` (letters only: it sits inside the format)."""
    return MONEY.format(cur="".join(ch for ch in str(currency) if ch.isalpha())[:8])


HEADER = Font(bold=True)

COLUMNS = [
    ("Contract", "contract_id", 16, None),
    ("Month", "month", 10, "yyyy-mm"),
    ("Credit %", "credit_pct", 10, "0.00"),
    ("Amount", "amount", 16, "money"),
    ("Currency", "currency", 9, None),
    ("Capped", "capped", 8, None),
    ("Status", "status", 34, None),
    ("Recomputed amount", "recomputed_amount", 18, "money"),
    ("Difference", "difference", 14, "money"),
    ("Terms version", "terms_id", 26, None),
    ("Why", "reason", 100, None),
]


def _month(value: str) -> date:
    y, m = str(value).split("-")[:2]
    return date(int(y), int(m), 1)


def _status(row: pd.Series) -> str:
    if pd.notna(row.get("closed_by")) and row.get("closed_by"):
        return f"closed by {row['closed_by']} at {row.get('closed_at') or ''}".strip()
    return "open"


def credits_workbook(view: pd.DataFrame, period: str) -> bytes:
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    summary.append([f"Service credits, {period}"])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([])
    summary.append(["Contract", "Currency", "Months", "Closed", "Open", "Total credit"])
    for cell in summary[3]:
        cell.font = HEADER
    grouped = view.groupby(["contract_id", "currency"], sort=True)
    for (cid, cur), g in grouped:
        closed = int(g["closed_by"].notna().sum()) if "closed_by" in g else 0
        summary.append(
            [
                safe_text(cid),
                safe_text(cur),
                len(g),
                closed,
                len(g) - closed,
                float(g["amount"].sum()),
            ]
        )
        summary.cell(row=summary.max_row, column=6).number_format = money(cur)
    for col, width in zip("ABCDEF", (18, 10, 8, 8, 8, 18), strict=False):
        summary.column_dimensions[col].width = width

    sheet = wb.create_sheet("Credits")
    sheet.append([title for title, *_ in COLUMNS])
    for cell in sheet[1]:
        cell.font = HEADER
    for _, row in view.iterrows():
        values: list[object] = []
        for _title, key, _w, _fmt in COLUMNS:
            if key == "status":
                values.append(_status(row))
            elif key == "month":
                values.append(_month(row["month"]))
            elif key in ("credit_pct", "amount", "recomputed_amount", "difference"):
                v = row.get(key)
                values.append(None if v is None or pd.isna(v) else float(v))
            elif key == "capped":
                values.append(bool(row.get(key)))
            else:
                values.append(safe_text(str(row.get(key, ""))))
        sheet.append(values)
        r = sheet.max_row
        for i, (_t, _k, _w, fmt) in enumerate(COLUMNS, start=1):
            if fmt == "money":
                sheet.cell(row=r, column=i).number_format = money(row["currency"])
            elif fmt:
                sheet.cell(row=r, column=i).number_format = fmt
        sheet.cell(row=r, column=len(COLUMNS)).alignment = Alignment(wrap_text=True)
    for i, (_t, _k, width, _f) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
