"""A form generated from a pydantic model (the contract's typed fields), each problem shown under
its field.

Scalars become inputs (text, number, date, checkbox, choice); nested models become sections;
optional
blocks get an "include" switch; lists of models and maps of models become editable tables; lists of
text
become one-per-line boxes; the week of a business calendar gets one line per day. Anything else (a
union
such as the credit scheme) is edited as JSON. Values come back as plain dicts for pydantic to
validate, so
the form never decides what is valid: the model does, and its errors are shown where they belong.
"""

from __future__ import annotations

import json
import types
from datetime import date
from typing import Any, Literal, Union, get_args, get_origin

import streamlit as st
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ui.text import plain

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


ACRONYMS = {"sla": "SLA", "hipaa": "HIPAA", "pct": "%"}
TABLE_LABELS = {"title": "Job title"}  # a cell's label where the field's own would be ambiguous


def _label(name: str) -> str:
    words = name.split("_")
    return " ".join(
        ACRONYMS.get(w, w)
        for w in [words[0].capitalize() if words[0] not in ACRONYMS else words[0]] + words[1:]
    )


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _optional(t: Any) -> tuple[bool, Any]:
    """(is Optional[X], X)."""
    if get_origin(t) in (Union, types.UnionType):
        args = [a for a in get_args(t) if a is not type(None)]
        if len(args) == 1 and len(get_args(t)) == 2:
            return True, args[0]
    return False, t


def _show_problems(path: str, problems: dict[str, str], exact: bool = False) -> None:
    for loc, msg in problems.items():
        if loc == path or (not exact and loc.startswith(path + ".")):
            where = "" if loc == path else f"{loc[len(path) + 1 :]}: "
            st.markdown(f":red[⚠ {plain(where)}{plain(msg)}]")


def _scalar(t: Any, label: str, value: Any, key: str, help_: str | None) -> Any:
    if get_origin(t) is Literal:
        options = list(get_args(t))
        return st.selectbox(
            label,
            options,
            index=options.index(value) if value in options else 0,
            key=key,
            help=help_,
        )
    if t is bool:
        return st.checkbox(label, value=bool(value), key=key, help=help_)
    if t is int:
        return st.number_input(
            label, value=None if value is None else int(value), step=1, key=key, help=help_
        )
    if t is float:
        return st.number_input(
            label, value=None if value is None else float(value), key=key, help=help_
        )
    if t is date:
        return st.date_input(
            label,
            value=date.fromisoformat(value) if isinstance(value, str) else value,
            key=key,
            help=help_,
        )
    return st.text_input(label, value="" if value is None else str(value), key=key, help=help_)


def _table(
    item: type[BaseModel], rows: list[dict], key: str, key_col: str | None = None
) -> list[dict]:
    """One line of ordinary widgets per row (a table that keeps every edit: each cell is its own
    keyed widget, so no rerun can reset it), with Remove per row and "Add a row". Rows are
    identified by a number that never changes while the form is open."""
    ids_key = f"{key}.__rows"
    if ids_key not in st.session_state:
        st.session_state[ids_key] = list(range(len(rows)))
    ids: list[int] = st.session_state[ids_key]
    names = ([key_col] if key_col else []) + list(item.model_fields)
    out = []
    for rid in list(ids):
        seed = rows[rid] if rid < len(rows) else {}
        with st.container(border=True):
            cols = st.columns([3] * len(names) + [2], vertical_alignment="bottom")
            rec: dict[str, Any] = {}
            chosen: set[str] = set()  # choices always hold a value: they do not make a row
            for col, name in zip(cols, names, strict=False):
                cell = f"{key}.{rid}.{name}"
                with col:
                    if name == key_col:
                        rec[name] = st.text_input("Tier", value=seed.get(name) or "", key=cell)
                    else:
                        f = item.model_fields[name]
                        opt, t = _optional(f.annotation)
                        label = TABLE_LABELS.get(name, _label(name))
                        v = _scalar(t, label, seed.get(name, _default(f)), cell, None)
                        rec[name] = None if (opt and v in ("", None)) else v
                        if get_origin(t) is Literal or t is bool:
                            chosen.add(name)
            if cols[-1].button("Remove", key=f"{key}.{rid}.remove", help="Remove this row"):
                ids.remove(rid)
                st.rerun()
        clean = {k: (None if v == "" else v) for k, v in rec.items()}
        if any(v is not None for k, v in clean.items() if k not in chosen):
            out.append(clean)
    if st.button("Add a row", key=f"{key}.add", icon=":material/add:"):
        ids.append(max([*ids, len(rows) - 1]) + 1)
        st.rerun()
    return out


def _default(f: Any) -> Any:
    d = f.get_default(call_default_factory=True)
    return None if d is PydanticUndefined else d


def _week(value: dict, key: str) -> dict:
    st.caption("Business hours per day, local time, e.g. 09:00-12:00, 13:00-17:00 (empty = closed)")
    out = {}
    cols = st.columns(7)
    for col, day in zip(cols, DAYS, strict=False):
        text = col.text_input(
            day.capitalize(),
            value=", ".join(f"{a}-{b}" for a, b in value.get(day, [])),
            key=f"{key}.{day}",
        )
        spans = [s.strip() for s in text.split(",") if s.strip()]
        if spans:
            out[day] = [s.split("-", 1) if "-" in s else [s, ""] for s in spans]
    return out


def render(
    model: type[BaseModel],
    values: dict,
    problems: dict[str, str],
    path: str = "",
    prefix: str = "ff",
) -> dict:
    """Widgets for every field of `model`, prefilled from `values`; returns what the user entered.

    `prefix` starts every widget key: a different prefix (e.g. per template) starts from fresh
    values.
    """
    out: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        p = f"{path}.{name}" if path else name
        key = f"{prefix}.{p}"
        label = _label(name)
        value = values.get(name)
        opt, t = _optional(f.annotation)
        origin = get_origin(t)
        if _is_model(t):
            if opt:
                if not st.checkbox(
                    f"Include: {label}",
                    value=value is not None,
                    key=key + ".on",
                    help=f.description,
                ):
                    out[name] = None
                    _show_problems(p, problems)
                    continue
            with st.container(border=True):
                st.markdown(f"**{label}**")
                out[name] = render(t, value or {}, problems, p, prefix)
            _show_problems(p, problems, exact=True)
        elif origin is list and _is_model(get_args(t)[0]):
            st.markdown(f"**{label}**")
            out[name] = _table(get_args(t)[0], value or [], key)
            _show_problems(p, problems)
        elif origin is dict and len(get_args(t)) == 2 and _is_model(get_args(t)[1]):
            st.markdown(f"**{label}**")
            rows = [{"key": k, **v} for k, v in (value or {}).items()]
            recs = _table(get_args(t)[1], rows, key, key_col="key")
            out[name] = {r.pop("key"): r for r in recs if r.get("key")}
            _show_problems(p, problems)
        elif (
            origin is dict
            and get_origin(get_args(t)[0]) is Literal
            and set(get_args(get_args(t)[0])) == set(DAYS)
        ):
            st.markdown(f"**{label}**")
            out[name] = _week(value or {}, key)
            _show_problems(p, problems)
        elif origin is dict:
            text = st.text_area(
                f"{label} (one per line: name = value)",
                value="\n".join(f"{k} = {v}" for k, v in (value or {}).items()),
                key=key,
                help=f.description,
            )
            pairs: dict[str, str] = {}
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                k, sep, v = line.partition("=")
                if not sep or not k.strip():
                    problems[p] = f"line {n} ({line.strip()[:40]!r}): write name = value"
                    continue
                pairs[k.strip()] = v.strip()
            out[name] = pairs
            _show_problems(p, problems)
        elif origin is list:
            text = st.text_area(
                f"{label} (one per line)",
                value="\n".join(str(v) for v in (value or [])),
                key=key,
                help=f.description,
            )
            out[name] = [line.strip() for line in text.splitlines() if line.strip()]
            _show_problems(p, problems)
        elif t in (str, int, float, bool, date) or origin is Literal:
            entered = _scalar(t, label, value, key, f.description)
            out[name] = None if (opt and entered in ("", None)) else entered
            _show_problems(p, problems)
        else:
            # unions of models (e.g. the credit scheme): JSON, validated by the model like the rest
            text = st.text_area(
                f"{label} (JSON)",
                value=json.dumps(value, indent=1, default=str),
                key=key,
                help=f.description,
            )
            try:
                out[name] = json.loads(text) if text.strip() else None
            except json.JSONDecodeError as exc:
                problems[p] = f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
                out[name] = value
            _show_problems(p, problems)
    return out


def to_json_ready(values: Any) -> Any:
    """Dates and numpy scalars from widgets -> JSON types (the store keeps fields as JSON)."""
    if isinstance(values, dict):
        return {k: to_json_ready(v) for k, v in values.items()}
    if isinstance(values, list):
        return [to_json_ready(v) for v in values]
    if isinstance(values, date):
        return values.isoformat()
    if hasattr(values, "item"):  # numpy scalar
        return values.item()
    return values
