"""Files a user opens in a spreadsheet: CSV and XLSX that never run what a ticket id says.

OWASP's CSV-injection advice: a text cell that starts with = + - @ (or a tab or carriage return)
is prefixed with a single quote, so a spreadsheet shows it as text instead of evaluating it. In XLSX
every text cell is written as a string cell (never a formula), with the same prefix so that copying
it back into a CSV stays safe. Numbers, dates and booleans keep their types.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """A text value as a spreadsheet must show it; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and column names) cannot start a formula."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_text)
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    return safe_frame(df).to_csv(index=False).encode("utf-8")


def write_csv(df: pd.DataFrame, path: str) -> None:
    safe_frame(df).to_csv(path, index=False)


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, a sheet per frame; text cells are string cells, never formulas."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=_sheet_name(name))
        safe = safe_frame(df)
        ws.append(list(safe.columns))
        for row in safe.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a string, whatever it looks like
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.tz_convert(None).to_pydatetime() if v.tzinfo else v.to_pydatetime()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def _sheet_name(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of : \\ / ? * [ ]."""
    cleaned = "".join("_" if ch in ":\\/?*[]" else ch for ch in name).strip("'") or "sheet"
    return cleaned[:31]
