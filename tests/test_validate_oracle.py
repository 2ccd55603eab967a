"""The SQL validation (sla_engine/ingest/validate.py) against an independent oracle: the pandas
validation
it replaced (tests/oracle_validate.py), on every vendor shape, the real logs and messy generated
exports. Same tickets, events, kept rows and quarantine (file, row, column, reason), row for row.
"""

from __future__ import annotations

import copy

import oracle_validate
import pandas as pd
import pytest
from helpers import FIXTURES, SHARED, terms_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_real_logs import CASES as LOGS
from test_vendor_shapes import CASES as SHAPES
from test_vendor_shapes import DOC as SHAPES_DOC

from sla_engine.errors import IngestError
from sla_engine.ingest.options import ReadOptions
from sla_engine.ingest.profiles.base import EVENT_FIELDS, TICKET_FIELDS, Extract
from sla_engine.ingest.profiles.registry import read_profile
from sla_engine.ingest.routing import Routing
from sla_engine.ingest.validate import validate
from sla_engine.rulebook.terms import load_terms, parse_terms


def _by_contract(terms: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for t in terms:
        out.setdefault(t.contract_id, []).append(t)
    return out


def same(ex: Extract, tz, contract, by_contract, history: str | None = None, routing=None):
    """Both validations of one extract agree on everything they return."""
    mine_ex, theirs_ex = copy.deepcopy(ex), copy.deepcopy(ex)
    try:
        theirs = oracle_validate.validate(
            theirs_ex, "t.csv", tz, contract, by_contract, history, routing
        )
    except IngestError as e:  # the oracle refuses: so must we, with the same words
        with pytest.raises(IngestError) as mine_err:
            validate(mine_ex, "t.csv", tz, contract, by_contract, history, routing)
        assert str(mine_err.value) == str(e)
        return None
    except pd.errors.InvalidIndexError:
        # the oracle crashes on a ticket id kept in two contracts; the SQL validation keeps both
        # and still accounts for every row of the file once (kept or quarantined)
        mine = validate(mine_ex, "t.csv", tz, contract, by_contract, history, routing)
        main = mine.quarantine[mine.quarantine["file"] == "t.csv"]
        assert len(mine.row_ticket) + len(main) == mine.input_rows
        assert not set(mine.row_ticket["_row"]) & set(main["row"])
        return None
    mine = validate(mine_ex, "t.csv", tz, contract, by_contract, history, routing)
    for name in ("tickets", "events", "quarantine", "row_ticket"):
        a = getattr(mine, name).reset_index(drop=True)
        b = getattr(theirs, name).reset_index(drop=True)
        b = b[list(a.columns)] if name == "row_ticket" else b
        # the oracle knows the reasons, not the rule names and values (test_quarantine_rules.py)
        a = a[list(b.columns)] if name == "quarantine" else a
        pd.testing.assert_frame_equal(
            a.astype(object).where(a.notna(), None),
            b.astype(object).where(b.notna(), None),
            check_dtype=False,
            obj=name,
        )
    assert mine.input_rows == theirs.input_rows
    assert mine_ex.notes == theirs_ex.notes and mine_ex.layouts == theirs_ex.layouts
    return mine


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_vendor_shape_validates_as_the_oracle_does(shape):
    profile, file, second, tz, *_ = SHAPES[shape]
    folder = FIXTURES / "shapes"
    second_path = folder / second if second else None
    ex, _ = read_profile(profile, folder / file, second_path, ReadOptions(), tz)
    same(
        ex,
        tz,
        "SHAPES",
        _by_contract(parse_terms(SHAPES_DOC)),
        str(second_path) if second else None,
    )


@pytest.mark.parametrize("log", LOGS, ids=[c[3] for c in LOGS])
def test_the_real_logs_validate_as_the_oracle_does(log):
    path, profile, terms_file, contract, tz, options, *_ = log
    if not (SHARED / path).exists():
        pytest.skip(f"{SHARED / path} is not on this machine")
    ex, _ = read_profile(profile, SHARED / path, None, options, tz)
    same(ex, tz, contract, _by_contract(load_terms(FIXTURES / terms_file)))


# cells a real export holds: ISO with and without zone, fractions, other layouts, blanks,
# placeholders, impossible dates, the hours a DST change skips or repeats, padding
TIMES = [
    "2025-03-03T09:00:00Z",
    "2025-03-03 09:00:00Z",
    "2025-03-03T09:00Z",
    "2025-03-03T09:00:00.5Z",
    "2025-03-03T09:00:00.123456+05:30",
    "2025-03-03T09:00:00-0800",
    "2025-03-03T09:00:00+01",
    " 2025-03-03T09:00:00Z ",
    "\t2025-03-03T09:00:00Z",
    "2025-03-03 09:00:00",
    "2025-03-03T09:00",
    "2025-03-30 02:30:00",  # skipped in Europe
    "2025-10-26 02:30:00",  # repeated in Europe
    "2025-03-09 02:30:00",  # skipped in New York
    "2025-11-02 01:30:00",  # repeated in New York
    "2025-10-05 02:15:00",  # skipped on Lord Howe Island (30 minutes)
    "2025-02-30T10:00:00Z",
    "2025-13-01T10:00:00Z",
    "2025-03-03T24:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31 23:59:59",
    "03/04/2025 10:00",
    "13/04/2025 10:00",
    "22/Oct/21 4:55 PM",
    "2025-03-03",
    "",
    "  ",
    "null",
    "N/A",
    "-",
    None,
    "garbage",
]
ZONES = [None, "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
LABELS = ["P1", "p2 ", "High", "", None, "unknown", "  p1"]
IDS = ["1", "2", "3", " 1", "", None, "4\u00a0"]
CONTRACTS = ["C", "D", " C ", "", None, "ACME Corp"]


def _terms() -> dict[str, list]:
    c = parse_terms(terms_doc(contract_id="C", severity_map={"high": "P1"}))
    d = parse_terms(terms_doc(contract_id="D"))
    return _by_contract(c + d)


TICKET_COLS = TICKET_FIELDS
EVENT_COLS = EVENT_FIELDS


def _created_only(created: list) -> list[dict]:
    """One ticket of contract C per creation time (ids 0, 1, ...), with nothing else known."""
    return [
        {
            "ticket_id": str(i),
            "contract_id": "C",
            "severity": "P1",
            "created_at": v,
            "first_response_at": None,
            "resolved_at": None,
        }
        for i, v in enumerate(created)
    ]


rows = st.fixed_dictionaries(
    {
        "ticket_id": st.sampled_from(IDS),
        "contract_id": st.sampled_from(CONTRACTS),
        "severity": st.sampled_from(LABELS),
        "created_at": st.sampled_from(TIMES),
        "first_response_at": st.sampled_from(TIMES),
        "resolved_at": st.sampled_from(TIMES),
    }
)
history = st.fixed_dictionaries(
    {
        "ticket_id": st.sampled_from(IDS),
        "changed_at": st.sampled_from(TIMES),
        "field": st.sampled_from(["status", "severity"]),
        "value": st.sampled_from(["pending", "", None, "P1", "high", "nope", " open "]),
    }
)


def _extract(tickets: list[dict], events: list[dict]) -> Extract:
    t = pd.DataFrame(tickets, columns=TICKET_COLS).astype("string")
    t.insert(0, "_row", range(1, len(t) + 1))
    e = pd.DataFrame(events, columns=EVENT_COLS).astype("string")
    e["_row"] = range(1, len(e) + 1)
    return Extract(
        tickets=t,
        events=e,
        row_ticket=t[["_row", "ticket_id"]],
        source_columns={c: c.title() for c in TICKET_COLS},
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tickets=st.lists(rows, min_size=1, max_size=12),
    events=st.lists(history, max_size=8),
    tz=st.sampled_from(ZONES),
    contract=st.sampled_from([None, "C"]),
    routed=st.booleans(),
)
def test_messy_exports_validate_as_the_oracle_does(tickets, events, tz, contract, routed):
    routing = Routing.of({"ACME Corp": "D"}, {"D": {"urgent": "P1"}}) if routed else None
    same(_extract(tickets, events), tz, contract, _terms(), "h.csv", routing)


@pytest.mark.parametrize("tz", [z for z in ZONES if z])
def test_every_time_shape_reads_as_the_oracle_reads_it(tz):
    """Each cell of TIMES as a creation time, in each zone: the same instant or the same
    reason."""
    tickets = _created_only(TIMES)
    mine = same(_extract(tickets, []), tz, None, _terms())
    assert mine is not None and len(mine.tickets) > 5  # the zone read the naive times


def test_a_history_row_of_an_id_in_two_contracts_is_quarantined_not_guessed():
    tickets = [
        {
            "ticket_id": "7",
            "contract_id": c,
            "severity": "P1",
            "created_at": TIMES[0],
            "first_response_at": None,
            "resolved_at": None,
        }
        for c in ("C", "D")
    ]
    events = [{"ticket_id": "7", "changed_at": TIMES[0], "field": "status", "value": "pending"}]
    v = validate(_extract(tickets, events), "t.csv", None, None, _terms(), "h.csv")
    assert len(v.tickets) == 2 and len(v.events) == 0
    assert v.quarantine.to_dict("records") == [
        {
            "file": "h.csv",
            "row": 1,
            "column": "ticket_id",
            "reason": "ticket id is in more than one contract of the tickets file; the history row "
            "cannot say which",
            "rule": "history row of a ticket id in several contracts",
            "value": None,
        }
    ]


def test_a_placeholder_year_is_implausible_whatever_its_neighbours():
    """pandas reads 0001-01-01 as unparseable when a neighbour needs nanoseconds (the oracle's
    quirk); the SQL validation names the same cell implausible, in both columns."""
    for neighbour in ("2025-03-03T09:00:00Z", "2025-03-03T09:00:00.1234567Z"):
        tickets = _created_only(["0001-01-01T00:00:00Z", neighbour])
        v = validate(_extract(tickets, []), "t.csv", None, None, _terms())
        assert list(v.quarantine["reason"]) == [
            "time 0001-01-01T00:00:00Z is outside the plausible range 1990-01-01 to 2099-12-31"
        ]
        assert list(v.tickets["ticket_id"]) == ["1"]
