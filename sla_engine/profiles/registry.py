"""Profile names -> readers, and detection of which kind of file a profile was given."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from ..errors import IngestError
from ..readers import read_table
from . import eventlogs, generic, ticketfile
from .base import Extract
from .history import read_history_columns

PROFILES = ("generic", "zendesk", "jsm", "servicenow", "freshdesk", "eventlog")


def _mapping(options: dict) -> dict:
    m: dict = {}
    if options.get("mapping"):
        p = Path(options["mapping"])
        try:
            text = p.read_text(encoding="utf-8")
            m = yaml.safe_load(text) if p.suffix.lower() in (".yaml", ".yml") else json.loads(text)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise IngestError(f"{p}: cannot read the mapping file: {exc}") from exc
        if not isinstance(m, dict):
            raise IngestError(
                f"{p}: the mapping must be an object with case/status/time/severity keys"
            )
    for key, opt in (
        ("case", "case"),
        ("status", "status"),
        ("time", "time"),
        ("severity", "severity"),
        ("contract", "contract_col"),
    ):
        if options.get(opt):
            m[key] = options[opt]
    if options.get("response_status"):
        m["response_statuses"] = list(options["response_status"])
    return m


def read_profile(
    profile: str, path: Path, history: Path | None, options: dict, tz: str | None = None
) -> tuple[Extract, int]:
    """Read `path` with the named profile; returns the extract and the number of history rows."""
    if profile not in PROFILES:
        raise IngestError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    df = read_table(path)
    if len(df) == 0:
        raise IngestError(f"{path}: the file has a header but no rows")
    file = str(path)
    if profile == "generic":
        ex = generic.read(df, file)
    elif profile == "servicenow" and _is_audit_log(df):
        ex = eventlogs.servicenow_events(df, file, tz)
    elif profile == "eventlog":
        ex = eventlogs.eventlog(df, file, tz, _mapping(options))
    else:
        ex = ticketfile.read(profile, df, file)
    detected = df.attrs.get("detected") or {}
    if detected:
        ex.notes.append(
            "file read as " + ", ".join(f"{k} {v}" for k, v in sorted(detected.items()))
        )
    hist_rows = 0
    if history is not None:
        if profile not in ("generic", "zendesk", "jsm", "freshdesk", "servicenow"):
            raise IngestError("--history goes with the ticket-table profiles, not with event logs")
        hdf = read_table(history)
        ex.events, ex.rejected = read_history_columns(hdf, str(history))
        hist_rows = len(hdf)
    return ex, hist_rows


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
