"""The history file of the `generic` profile and `evaluate`: ticket_id, changed_at, field, value."""

from __future__ import annotations

import pandas as pd

from sla_engine.ingest.profiles.base import empty_events, find_column, with_rows


def read_history_columns(
    df: pd.DataFrame | None, file: str = "<history>"
) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """Events with `_row` (field lower-cased) and the rows rejected for a bad `field`."""
    if df is None:
        return empty_events(), []
    df = with_rows(df)
    cols = {n: find_column(df, [n], n, file) for n in ("ticket_id", "changed_at", "field", "value")}
    out = pd.DataFrame({n: df[c] for n, c in cols.items()})
    out["field"] = out["field"].str.strip().str.lower()
    out["_row"] = df["_row"]
    bad = ~out["field"].isin(["status", "severity"])
    rejected = [
        (int(r), cols["field"], f"field {v!r} is not 'status' or 'severity'")
        for r, v in zip(out.loc[bad, "_row"], out.loc[bad, "field"], strict=False)
    ]
    return out[~bad].reset_index(drop=True), rejected
