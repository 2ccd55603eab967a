"""Records out of a JSON or XML export, whatever envelope the help desk wraps them in, and which
envelope was read (said in the ingest report).

JSON: an array of records; an object holding one list of records under any key, up to three
levels down (`{"values": [...]}` from Jira Service Management, `{"data": {"items": [...]}}`), the
known names first when there are several (RECORD_KEYS); pages of such objects or arrays written
one after another (concatenated or one per line); or one record per line (NDJSON). A list counts
as records only when it holds objects: `_expands: ["participant"]` is not a candidate.

XML: the element that repeats under one parent is the record (`<incident>` in ServiceNow's export
and unload XML, `<item>` in Jira's RSS); its child elements are the columns, nested ones joined
with dots, an attribute as `column.attribute` (`assigned_to.display_value`). An element that
repeats inside a record (Jira's `<customfields><customfield>…`) is also kept whole, as a JSON list
under its path (`customfields.customfield`), so a recipe's selector chooses one item:
`customfields.customfield[customfieldname=Date of First Response].customfieldvalues…`.
A document with a DOCTYPE is refused before it is parsed (no entity of a stranger's is ever
expanded).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from sla_engine.errors import IngestError

RECORD_KEYS = ("tickets", "issues", "result", "records", "incidents", "data", "results", "values")
MAX_DEPTH = 3
MAX_XML_COLUMNS = 1_000
_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _is_records(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) for x in v[:50])


def record_lists(obj: dict, path: str = "", depth: int = 0) -> list[tuple[str, list]]:
    """Every list of JSON objects in `obj`, with its dotted path, up to MAX_DEPTH levels down."""
    found: list[tuple[str, list]] = []
    for k, v in obj.items():
        where = f"{path}.{k}" if path else str(k)
        if _is_records(v):
            found.append((where, v))
        elif isinstance(v, dict) and depth + 1 < MAX_DEPTH:
            found += record_lists(v, where, depth + 1)
    return found


def _main(obj: dict, key: str | None) -> tuple[str, list, dict[str, list]]:
    """The envelope's records (path, list) and its other lists of records (sideloads)."""
    lists = record_lists(obj)
    chosen = None
    if key:
        chosen = next((c for c in lists if c[0] == key or c[0].rsplit(".", 1)[-1] == key), None)
        if chosen is None:
            raise IngestError(f"the JSON holds no list of records named {key!r}")
    full = [c for c in lists if c[1]]
    if chosen is None and len(full) == 1:
        chosen = full[0]
    if chosen is None and len(lists) == 1:
        chosen = lists[0]
    if chosen is None:
        chosen = next(
            (c for name in RECORD_KEYS for c in lists if c[0].rsplit(".", 1)[-1] == name), None
        )
    if chosen is None:
        if not lists:
            raise IngestError('the JSON object holds no list of records (e.g. {"tickets": [...]})')
        raise IngestError(
            "the JSON object holds several lists of records ("
            + ", ".join(c[0] for c in lists[:8])
            + "); none has a name Covenant knows, so it cannot tell which are the tickets"
        )
    side = {c[0].rsplit(".", 1)[-1]: c[1] for c in full if c is not chosen and "." not in c[0]}
    return chosen[0], chosen[1], side


def _values(text: str) -> list[Any]:
    """Every JSON value in `text`, written one after another (one, or pages, or lines)."""
    decoder = json.JSONDecoder()
    out: list[Any] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n\ufeff":
            i += 1
        if i >= n:
            return out
        value, i = decoder.raw_decode(text, i)
        out.append(value)


def json_records(text: str, key: str | None) -> tuple[list, dict[str, list], str]:
    """(records, sideloads, how they were found) from a JSON export's text."""
    values = _values(text)
    if not values:
        raise IngestError("the file holds no JSON")
    if all(isinstance(v, list) for v in values):
        flat = [r for v in values for r in v]
        how = "a JSON array" if len(values) == 1 else f"{len(values)} JSON arrays one after another"
        return flat, {}, how
    if not all(isinstance(v, dict) for v in values):
        raise IngestError("the JSON mixes arrays and objects: expected records or pages of them")
    if len(values) == 1:
        path, only, side = _main(values[0], key)
        return only, side, f"the JSON key {path!r}"
    if not any(record_lists(v) for v in values):  # one record per line
        return values, {}, "one JSON record per line"
    records = []
    sides: dict[str, list] = {}
    paths: set[str] = set()
    for v in values:
        path, recs, side = _main(v, key)
        paths.add(path)
        records += recs
        for k, rows in side.items():
            sides.setdefault(k, []).extend(rows)
    if len(paths) > 1:
        raise IngestError(
            f"the JSON pages hold their records under different keys ({', '.join(sorted(paths))})"
        )
    return records, sides, f"{len(values)} JSON pages, key {paths.pop()!r}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # {namespace}name -> name


def _flatten(elem: ET.Element, prefix: str, out: dict[str, str]) -> None:
    for name, value in elem.attrib.items():
        out.setdefault(f"{prefix}.{_local(name)}" if prefix else f"@{_local(name)}", value)
    children = list(elem)
    if not children:
        if prefix:
            out.setdefault(prefix, (elem.text or "").strip())
        return
    tags = Counter(_local(c.tag) for c in children)
    for child in children:
        where = f"{prefix}.{_local(child.tag)}" if prefix else _local(child.tag)
        _flatten(child, where, out)
    for tag, n in tags.items():
        # a collection: one tag repeated, or the only tag of a container (a single custom field)
        where = f"{prefix}.{tag}" if prefix else tag
        if (n > 1 or len(tags) == 1) and where not in out:
            items = [_nested(c) for c in children if _local(c.tag) == tag and len(c)]
            if items:
                out[where] = json.dumps(items, ensure_ascii=False)


def _nested(elem: ET.Element) -> dict[str, Any]:
    """An element as JSON: attributes and children by name, a repeated child as a list."""
    node: dict[str, Any] = {}
    for child in elem:
        tag = _local(child.tag)
        value: Any = _nested(child) if len(child) else (child.text or "").strip()
        if not len(child) and child.attrib:
            value = {**{_local(k): v for k, v in child.attrib.items()}, "text": value}
        if tag in node:
            node[tag] = node[tag] if isinstance(node[tag], list) else [node[tag]]
            node[tag].append(value)
        else:
            node[tag] = value
    for name, v in elem.attrib.items():
        node.setdefault(_local(name), v)
    return node


def _record_parent(root: ET.Element) -> tuple[ET.Element, str, int]:
    """The element whose children repeat one tag most often (records have children of their
    own), searched down to MAX_DEPTH levels."""
    best: tuple[ET.Element, str, int] = (root, "", 0)
    frontier = [root]
    for _ in range(MAX_DEPTH):
        nxt = []
        for parent in frontier:
            counts = Counter(_local(c.tag) for c in parent if len(c))
            if counts:
                tag, n = counts.most_common(1)[0]
                if n > best[2]:
                    best = (parent, tag, n)
            nxt += [c for c in parent if len(c)]
        frontier = nxt[:1000]
    return best


def xml_records(text: str) -> tuple[list[dict[str, str]], str]:
    """(records, how they were found) from an XML export's text."""
    if _DECLARATIONS.search(text):
        raise IngestError("an XML file with a DOCTYPE or entities is refused; exports have none")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise IngestError(f"not well-formed XML: {exc}") from exc
    parent, tag, n = _record_parent(root)
    if not n:
        raise IngestError("the XML holds no repeated record element")
    records = []
    for elem in parent:
        if _local(elem.tag) != tag:
            continue
        row: dict[str, str] = {}
        _flatten(elem, "", row)
        if len(row) > MAX_XML_COLUMNS:
            raise IngestError(
                f"an XML <{tag}> record has {len(row):,} fields, more than {MAX_XML_COLUMNS:,}"
            )
        records.append(row)
    return records, f"{n:,} XML <{tag}> elements under <{_local(parent.tag)}>"
