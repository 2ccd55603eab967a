"""Columns a recipe names inside a JSON list of each record.

A reader flattens nested objects with dots and keeps lists as JSON text, so a fact that sits in a
list needs a path that chooses an item: `requestFieldValues[fieldId=priority].value.name` (JSM's
customer requests carry their fields as a list of {fieldId, label, value}) or
`sla.values[name=Time to first response].completedCycles.0.stopTime.iso8601`. Each such path
becomes a column of its own, named by the path, before the profile reads the file; a record whose
list holds no matching item has no value there (counted like any blank).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

SELECTOR = re.compile(
    r"^(?P<root>[^\[\]]+?)\[(?P<key>[^=\]]+)=(?P<want>[^\]]*)\](?:\.(?P<rest>.+))?$"
)


def is_selector(path: str) -> bool:
    return SELECTOR.match(path) is not None


def with_selected(df: pd.DataFrame, paths: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """`df` with a column for each selector path whose list column is in the file, and a note
    per path saying how many records held a matching item. A path whose list is not in the file
    adds nothing: the profile then refuses the column by its name."""
    notes: list[str] = []
    by_lower = {str(c).lower(): c for c in df.columns}
    for path in dict.fromkeys(paths):
        m = SELECTOR.match(path)
        if m is None or path in df.columns:
            continue
        root = by_lower.get(m["root"].strip().lower())
        if root is None:
            continue
        key, want = m["key"].strip(), m["want"].strip().lower()
        rest = m["rest"].split(".") if m["rest"] else []
        values = [_pick(cell, key, want, rest) for cell in df[root].tolist()]
        df = df.assign(**{path: pd.Series(values, index=df.index, dtype="string")})
        found = int(df[path].notna().sum())
        notes.append(
            f"{path}: read from the item of {root} whose {key} is {m['want'].strip()!r} "
            f"({found:,} of {len(df):,} records hold one)"
        )
    return df, notes


def _pick(cell: Any, key: str, want: str, rest: list[str]) -> str | None:
    if cell is None or cell is pd.NA:
        return None
    try:
        items = json.loads(cell) if isinstance(cell, str) else cell
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict) and str(item.get(key, "")).strip().lower() == want:
            return _walk(item, rest)
    return None


def _walk(value: Any, rest: list[str]) -> str | None:
    for part in rest:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is None:
            return None
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return None if value is None or str(value).strip() == "" else str(value)
