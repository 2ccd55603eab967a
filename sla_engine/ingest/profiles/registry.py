"""Profile names -> readers, and detection of which kind of file a profile was given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import yaml

from sla_engine.errors import IngestError
from sla_engine.ingest import csv_stream
from sla_engine.ingest.dateorder import ORDERS
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.profiles import companions, eventlogs, generic, selectors, ticketfile
from sla_engine.ingest.profiles.base import Extract, find_column
from sla_engine.ingest.readers import DELIMITER_NAMES, RawExport, read_table

PROFILES = ("generic", "zendesk", "jsm", "servicenow", "freshdesk", "eventlog")


def _mapping(options: ReadOptions) -> dict:
    """The profile's mapping: a mapping file's, with what the options state over it."""
    m: dict = {}
    if options.mapping_file:
        p = Path(options.mapping_file)
        try:
            text = p.read_text(encoding="utf-8")
            m = yaml.safe_load(text) if p.suffix.lower() in (".yaml", ".yml") else json.loads(text)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise IngestError(f"{p}: cannot read the mapping file: {exc}") from exc
        if not isinstance(m, dict):
            raise IngestError(
                f"{p}: the mapping must be an object with case/status/time/severity keys"
            )
    for key, value in (
        ("case", options.case),
        ("status", options.status),
        ("time", options.time),
        ("severity", options.severity),
        ("contract", options.contract_col),
    ):
        if value:
            m[key] = value
    if options.response_status:
        m["response_statuses"] = list(options.response_status)
    if options.columns:
        m["columns"] = {**(m.get("columns") or {}), **options.columns}
    if options.statuses:
        m["statuses"] = {**(m.get("statuses") or {}), **options.statuses}
    # a recipe's (recipes/)
    recipe_keys: tuple[tuple[str, Any], ...] = (
        ("status_names", options.status_names),
        ("severity_names", options.severity_names),
        ("records", options.records),
        ("long_history", options.long_history),
        ("recipe", options.recipe),
    )
    for key, value in recipe_keys:
        if value:
            m[key] = value
    return m


def read_profile(
    profile: str,
    path: Path,
    history: Path | None,
    options: ReadOptions,
    tz: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    raw: RawExport | None = None,
    raw_history: RawExport | None = None,
) -> tuple[Extract, int]:
    """Read `path` with the named profile, and its second file (history, field history, Zendesk
    metrics or metric events; see companions.py); returns the extract and the second file's
    number of rows. Given a connection, a generic CSV export is streamed into it (csv_stream)
    instead of being held in memory. Given the file already read (`raw`, `raw_history`: the
    Ingest page's), a copy of it is used instead of reading the file again."""
    if profile not in PROFILES:
        raise IngestError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    sideloads: dict[str, pd.DataFrame] = {}
    mapping = _mapping(options)
    # a generic export with status evidence is read whole (ticketfile's status rules); a plain
    # one is streamed
    plain_generic = profile == "generic" and not _has_status_evidence(path, mapping)
    streamed = _stream(con, path) if con is not None and plain_generic else None
    if streamed is not None:
        df, detected = streamed
    else:
        if raw is not None and raw.json_key == mapping.get("records"):
            df = raw.table.copy()
            sideloads.update({k: v.copy() for k, v in raw.sideloads.items()})
        else:
            df = read_table(path, json_key=mapping.get("records"), sideloads=sideloads)
        if len(df) == 0:
            raise IngestError(f"{path}: the file has a header but no rows")
        detected = dict(df.attrs.get("detected") or {})
    file = str(path)
    selected = [
        c
        for cands in (mapping.get("columns") or {}).values()
        for c in (cands if isinstance(cands, list) else [cands])
        if selectors.is_selector(str(c))
    ]
    picked: list[str] = []
    if selected:
        df, picked = selectors.with_selected(df, selected)
    stated = options.date_order or mapping.get("date_order")
    if stated is not None and stated not in ORDERS:
        raise IngestError(f"date order {stated!r}: say day-first or month-first")
    second = None
    if history is not None and raw_history is not None and raw_history.json_key is None:
        second = raw_history.table.copy()
    elif history is not None:
        second = read_table(history)
    long_shape = mapping.get("long_history")
    in_records = bool(long_shape and long_shape.get("same_file"))
    if in_records and second is not None:
        raise IngestError(
            f"{history}: the recipe reads the changes from the ticket records themselves; "
            "leave the second file out or choose a recipe that reads one"
        )
    kind = (
        ("long history" if long_shape else companions.kind_of(second))
        if second is not None
        else None
    )
    hfile = str(history)
    if (
        second is not None
        and profile in ("eventlog",)
        or (second is not None and profile == "servicenow" and _is_audit_log(df))
    ):
        raise IngestError("a second file goes with a ticket table, not with an event log")
    if kind in ("ticket metrics", "metric events") and profile != "zendesk":
        raise IngestError(f"{kind} are Zendesk's: choose the zendesk profile")
    notes: list[str] = []
    events = None
    rejected: list[tuple[int, str, str]] = []
    if profile == "zendesk":
        id_col = find_column(df, ticketfile.COLUMNS["zendesk"]["ticket_id"], "ticket id", file)
        if "metric_sets" in sideloads:
            df, rej, n = companions.join_metrics(
                df, id_col, sideloads.pop("metric_sets"), f"{file} (metric_sets)"
            )
            notes += n
            if rej:  # a sideload has no rows of its own to quarantine
                notes.append(f"{len(rej)} metric sets belong to no ticket of the export: not used")
        if kind == "ticket metrics" and second is not None:
            df, rej, n = companions.join_metrics(df, id_col, second, hfile)
            rejected += rej
            notes += n
        elif kind == "metric events" and second is not None:
            df, events, rej, n = companions.metric_events(df, id_col, second, hfile)
            rejected += rej
            notes += n
    if kind == "history" and second is not None:
        events, rejected, n = companions.history(second, hfile)
        notes += n
    elif kind == "long history" and second is not None:
        shape = long_shape or {}
        events, rejected, n = companions.long_history(
            second,
            hfile,
            shape,
            profile,
            mapping.get("status_names") or {},
            mapping.get("severity_names") or {},
        )
        notes += n
        if shape.get("key"):
            events, n = companions.by_ticket_key(events, df, shape["key"], profile, mapping, file)
            notes += n
    elif in_records:
        events, rejected, n = companions.long_history(
            df,
            file,
            long_shape or {},
            profile,
            mapping.get("status_names") or {},
            mapping.get("severity_names") or {},
        )
        notes += n
    elif kind == "field history" and second is not None:
        events, rejected, n = companions.field_history(second, hfile)
        notes += n
    if sideloads:
        notes.append(f"sideloaded lists not needed: {', '.join(sorted(sideloads))}")

    if profile == "generic" and not _has_status_evidence(path, mapping, df):
        ex = generic.read(df, file, mapping.get("columns"))
        if streamed is not None and con is not None:
            ex = generic.in_database(con, ex, "_ex_raw")
    elif profile == "servicenow" and _is_audit_log(df):
        ex = eventlogs.servicenow_events(df, file, tz, stated)
    elif profile == "eventlog":
        ex = eventlogs.eventlog(df, file, tz, mapping | {"date_order": stated})
    else:
        ids = set(events["ticket_id"].astype("string").str.strip()) if events is not None else set()
        ex = ticketfile.read(profile, df, file, mapping, history_ids=ids)
    if stated is not None:
        ex.date_order = stated
    if events is not None:
        ex.events = pd.concat([ex.events, events], ignore_index=True)
        ex.source_columns.setdefault(
            "changed_at", str((long_shape or {}).get("at") or "changed_at")
        )
    ex.history_rejected = rejected
    ex.notes = notes + picked + ex.notes
    if kind:
        ex.notes.insert(0, f"second file read as {kind}")
    if mapping.get("recipe"):
        ex.notes.insert(0, f"read with the recipe {mapping['recipe']!r}")
    if detected:
        ex.notes.append(
            "file read as " + ", ".join(f"{k} {v}" for k, v in sorted(detected.items()))
        )
    return ex, (len(second) if second is not None else 0)


def _is_audit_log(df: pd.DataFrame) -> bool:
    """A ServiceNow audit/event log has several rows per incident; the incident table (list
    export or Table API, which also carries sys_mod_count) has one."""
    cols = {c.lower(): c for c in df.columns}
    if not {"sys_mod_count", "number"} <= set(cols):
        return False
    return bool(df[cols["number"]].duplicated().any())


def detect_profile(columns: list[str]) -> str | None:
    """A best guess from column names, for the user to accept or change (never applied silently)."""
    cols = {c.strip().lower() for c in columns}
    if {"ticket_id", "created_at", "severity"} <= cols:
        return "generic"
    if {"number", "incident_state", "sys_mod_count"} <= cols or {
        "number",
        "opened_at",
        "priority",
    } <= cols:
        return "servicenow"
    if "issue key" in cols or "fields.created" in cols:
        return "jsm"
    if "ticket id" in cols and ("created time" in cols or "initial response time" in cols):
        return "freshdesk"
    if ("id" in cols and "created_at" in cols and "priority" in cols) or "created at" in cols:
        return "zendesk"
    if any(c.startswith("case") for c in cols) and any(
        "timestamp" in c or c.startswith("time") for c in cols
    ):
        return "eventlog"
    return None


STATUS_EVIDENCE = ticketfile.STATUS_FACTS


def _has_status_evidence(path: Path, mapping: dict, df: pd.DataFrame | None = None) -> bool:
    """Whether a generic export carries (or the mapping names) a status, close, pending-since or
    last-update column: then the status rules of status_evidence.py apply (a ticket closed with
    no resolution time is resolved at its close, a pending one paused, a deleted one left out)."""
    if set(mapping.get("columns") or {}) & set(STATUS_EVIDENCE):
        return True
    if df is not None:
        names = [str(c) for c in df.columns]
    else:
        found = csv_stream.layout(path)
        if found is None:
            return False  # read whole anyway; decided again from its columns
        names = found.names
    return bool({n.strip().lower() for n in names} & set(STATUS_EVIDENCE))


def _stream(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[pd.DataFrame, dict] | None:
    """A CSV export streamed into table _ex_raw: (an empty frame with its columns, what was
    detected), or None to read it whole."""
    found = csv_stream.layout(path)
    if found is None:
        return None
    rows = csv_stream.load(con, path, found, "_ex_raw")
    if rows is None:
        return None
    if rows == 0:
        raise IngestError(f"{path}: the file has a header but no rows")
    columns = pd.DataFrame(columns=found.names, dtype="string")
    return columns, {"encoding": found.encoding_name, "delimiter": DELIMITER_NAMES[found.sep]}
