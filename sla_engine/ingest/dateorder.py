"""Which layouts a time column is read with: numeric dates are day-first or month-first per the
column's own values, never by guess.

`03/04/2021` is 3 April in a European ServiceNow instance and 4 March in an American one. A
column is *day-first* when some value has a first number over 12, *month-first* when some value
has a second number over 12. A column where every value fits both is ambiguous: it follows the
order the user stated, else the order another column of the same file showed, else it is
refused with the column named. Dates with month names (Jira's `22/Oct/21 4:55 PM`) and ISO 8601
need no decision.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sla_engine.errors import IngestError

Order = Literal["day-first", "month-first"]
ORDERS: tuple[Order, ...] = ("day-first", "month-first")

NUMERIC = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b"
HAS_NUMERIC = r"^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b"
Evidence = Order | None | Literal["ambiguous", "mixed"]

DAY_FIRST = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%y %I:%M %p",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %I:%M:%S %p",
    "%d/%m/%Y",
)
MONTH_FIRST = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%m-%d-%Y %H:%M:%S",
    "%m-%d-%Y %H:%M",
    "%m-%d-%Y %I:%M:%S %p",
    "%m/%d/%Y",
)
# layouts with no day/month question: month names (Jira Cloud and Server/Data Center), year first
NAMED = (
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d/%b/%Y %H:%M",
    "%d %b %Y %H:%M",
    "%d %b %Y %I:%M %p",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)


class AmbiguousDateOrder(IngestError):
    """Every numeric date of a column reads both day-first and month-first."""


def evidence(values: pd.Series) -> Evidence:
    """What a column's own values say: an order, 'ambiguous', 'mixed', or None (no numeric
    dates, or so few that they are stray values of a column written in another format: those
    rows are quarantined one by one, never a reason to refuse the file)."""
    filled = values.dropna().astype("string").str.strip()
    filled = filled[filled != ""]
    hit = pc.match_substring_regex(pa.array(filled.astype("string[pyarrow]")), HAS_NUMERIC)
    numeric = filled[hit.to_numpy(zero_copy_only=False)]  # in Arrow (RE2); ISO never matches
    if numeric.empty:
        return judge(len(filled), 0, False, False)
    parts = numeric.drop_duplicates().str.extract(NUMERIC).dropna()  # any() needs each once
    return judge(
        len(filled),
        len(numeric),
        bool((parts[0].astype(int) > 12).any()),
        bool((parts[1].astype(int) > 12).any()),
    )


def judge(filled: int, numeric: int, first_over_12: bool, second_over_12: bool) -> Evidence:
    """The evidence from counts: how many values are filled and numeric dates, and whether any
    numeric date's first or second number is over 12 (the SQL validation counts the same)."""
    if numeric == 0 or numeric * 2 < filled:
        return None
    if first_over_12 and second_over_12:
        return "mixed"
    if first_over_12:
        return "day-first"
    if second_over_12:
        return "month-first"
    return "ambiguous"


def example(values: pd.Series) -> str:
    parts = values.dropna().astype("string")
    hit = parts[parts.str.contains(HAS_NUMERIC, regex=True, na=False)]
    return str(hit.iloc[0]) if len(hit) else ""


def decide(
    columns: dict[str, pd.Series],
    stated: Order | None,
    file: str,
    labels: dict[str, str] | None = None,
) -> tuple[dict[str, Order | None], list[str]]:
    """The order for each time column (keyed as given; `labels` are the export's names for the
    messages), with one note per decision.

    Raises AmbiguousDateOrder naming the column (and an example value) when neither the values,
    the other columns nor the user settle it, and IngestError when a column mixes both orders.
    """
    seen = {name: evidence(v) for name, v in columns.items()}
    examples = {
        name: example(v) for name, v in columns.items() if seen[name] in (*ORDERS, "ambiguous")
    }
    return decide_from(seen, examples, stated, file, labels)


def decide_from(
    seen: dict[str, Evidence],
    examples: dict[str, str],
    stated: Order | None,
    file: str,
    labels: dict[str, str] | None = None,
) -> tuple[dict[str, Order | None], list[str]]:
    """`decide` from each column's evidence and an example value (its first numeric date)."""
    shown = {o for o in seen.values() if o in ORDERS}
    notes: list[str] = []
    out: dict[str, Order | None] = {}
    for key, ev in seen.items():
        name = (labels or {}).get(key, key)
        if ev == "mixed":
            raise IngestError(
                f"{file}: column {name!r} mixes day-first and month-first dates (some have a "
                "first number over 12, others a second number over 12); export it again with "
                "one date format"
            )
        if ev is None:
            out[key] = None
        elif ev in ORDERS:
            if stated is not None and stated != ev:
                raise IngestError(
                    f"{file}: column {name!r} cannot be {stated}: {examples.get(key, '')!r} "
                    f"and others only read {ev}"
                )
            out[key] = ev
            notes.append(f"dates in column {name!r} read {ev} (values show it)")
        elif stated is not None:
            out[key] = stated
            notes.append(f"dates in column {name!r} read {stated}, as stated")
        elif len(shown) == 1:
            out[key] = next(iter(shown))
            notes.append(
                f"dates in column {name!r} read {out[key]}, as the file's other columns show"
            )
        else:
            raise AmbiguousDateOrder(
                f"{file}: the dates in column {name!r} (e.g. {examples.get(key, '')!r}) read "
                "both as day/month and as month/day; say which order the export uses"
            )
    return out, notes


def layouts(order: Order | None, profile_formats: tuple[str, ...]) -> tuple[str, ...]:
    """The layouts to try after ISO 8601: the profile's own, then the numeric ones of the
    decided order, then the month-name ones; never a numeric layout of the other order."""
    wrong = MONTH_FIRST if order == "day-first" else DAY_FIRST if order == "month-first" else ()
    numeric = DAY_FIRST if order == "day-first" else MONTH_FIRST if order == "month-first" else ()
    own = tuple(f for f in profile_formats if f not in wrong and f not in DAY_FIRST + MONTH_FIRST)
    return own + numeric + NAMED
