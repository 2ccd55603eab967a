"""Small helpers shared by the engine tests: build tickets in memory, run the real engine."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from sla_engine.reports.analysis import evaluate_to_table, per_ticket_frame
from sla_engine.rulebook.terms import Terms, parse_terms
from sla_engine.store.derive import load_frames

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

NY_WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
ALL_WEEK = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def terms_doc(**over) -> dict:
    """A New York Mon-Fri 09-17 contract with US holidays; override any field."""
    doc = {
        "contract_id": "C",
        "effective_from": "2024-01-01",
        "calendar": {
            "timezone": "America/New_York",
            "week": copy.deepcopy(NY_WEEKDAYS),
            "holidays": {"country": "US", "subdivision": None, "observed": True},
        },
        "tiers": {
            "P1": {
                "response_minutes": 30,
                "resolution_minutes": 240,
                "clock": "calendar",
                "target_pct": 99,
            },
            "P2": {
                "response_minutes": 120,
                "resolution_minutes": 960,
                "clock": "business",
                "target_pct": 95,
            },
        },
        "pause_statuses": ["pending", "on-hold"],
        "resolved_statuses": ["solved", "resolved", "closed"],
    }
    for k, v in over.items():
        if k == "calendar":
            doc["calendar"].update(v)
        else:
            doc[k] = v
    return doc


def us(local: str, tz: str = "America/New_York") -> int:
    """'2025-03-04 10:00' in tz -> UTC microseconds (fold=0 for ambiguous wall times)."""
    dt = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))
    return int(dt.timestamp()) * 1_000_000


def run_engine(
    terms: list[Terms] | dict | list[dict],
    tickets: list[dict],
    events: list[dict] | None = None,
    as_of_us: int | None = None,
) -> pd.DataFrame:
    """Per-ticket results from the real engine, indexed by ticket_id."""
    if not isinstance(terms, list) or (terms and isinstance(terms[0], dict)):
        terms = parse_terms(terms)
    t = pd.DataFrame(tickets)
    for col in ("contract_id",):
        if col not in t:
            t[col] = "C"
    for col in ("first_response_us", "resolved_us"):
        if col not in t:
            t[col] = None
    ev = pd.DataFrame(events or [], columns=["ticket_id", "changed_us", "field", "value"])
    ev["contract_id"] = ev["ticket_id"].map(t.set_index("ticket_id")["contract_id"])
    con = duckdb.connect()
    load_frames(con, t, ev)
    evaluate_to_table(con, terms, as_of_us if as_of_us is not None else us("2030-01-01 00:00"))
    return per_ticket_frame(con).set_index("ticket_id")


def minutes(v) -> float | None:
    return None if pd.isna(v) else float(v) / 60e6


def load_fixture_terms(name: str) -> list[Terms]:
    return parse_terms(json.loads((FIXTURES / name).read_text()), name)
