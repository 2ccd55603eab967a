"""Validation in DuckDB: a profile's text columns -> typed tickets and events, plus quarantine.

A row that cannot be used is quarantined with file, row, column and reason (the rules, as data, are
in validate_rules.py); rows of a quarantined ticket go with it, so every input row is accounted
for. The work runs as SQL over the profile's frames (no Python loop per row): times in ISO 8601
are read by SQL, any other layout by timeparse.parse_instants for just those cells
(validate_times.py); the quarantine and the kept rows are counted in validate_accounting.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from sla_engine.errors import NoContractColumn
from sla_engine.ingest import dateorder
from sla_engine.ingest.profiles.base import Extract
from sla_engine.ingest.routing import Routing
from sla_engine.ingest.validate_accounting import account_rows, quarantine_table
from sla_engine.ingest.validate_rules import (
    DUPLICATE_RULE,
    EVENT_RULES,
    FUTURE_SLACK_HOURS,
    IDENTITY_RULES,
    LOST_RULE,
    NO_PRIORITY_LABEL,
    NO_PRIORITY_REASON,
    PROFILE_RULE,
    TICKET_RULES,
    first_broken,
)
from sla_engine.ingest.validate_times import TIME_FIELDS, evidence, read_in_sql, read_rest
from sla_engine.rulebook.terms import Terms
from sla_engine.sqlfiles import connect, fetch, one_row, sql

__all__ = ["NO_PRIORITY_LABEL", "NO_PRIORITY_REASON", "Valid", "severity_lookup", "validate"]

# `rule` names the rule a row broke and `value` its parameter (the label, the customer key): what
# code reads; `reason` is the sentence for people
QUARANTINE_COLUMNS = ["file", "row", "column", "reason", "rule", "value"]
RAW_TICKET_COLUMNS = [
    "ticket_id",
    "contract_id",
    "severity",
    *TIME_FIELDS,
    "notes",
    "first_response_minutes",
]


@dataclass
class Valid:
    """The checked batch, held in `con` as v_tickets, v_events, v_rows and v_quarantine; the
    frames are read from there when asked for."""

    con: duckdb.DuckDBPyConnection
    input_rows: int
    quarantine: pd.DataFrame  # file, row, column, reason
    rows_are_tickets: bool = False  # each kept input row is one kept ticket (v_rows = v_tickets)

    @cached_property
    def tickets(self) -> pd.DataFrame:
        """ticket_id, contract_id, severity, created_us, first_response_us, resolved_us, notes,
        _row"""
        return fetch(self.con, "SELECT * FROM v_tickets ORDER BY _pos").drop(columns=["_pos"])

    @cached_property
    def events(self) -> pd.DataFrame:
        """ticket_id, contract_id, changed_us, field, value, _row"""
        return fetch(self.con, "SELECT * FROM v_events ORDER BY _pos").drop(columns=["_pos"])

    def with_status_history(self, ticket_ids: list[str]) -> set[str]:
        """Which of these tickets carry status changes (their resolution and pauses are then the
        evaluation's, read from the history under the contract's terms)."""
        if not ticket_ids:
            return set()
        rows = self.con.execute(
            "SELECT DISTINCT ticket_id FROM v_events WHERE field = 'status' "
            "AND list_contains($ids, ticket_id)",
            {"ids": [str(t) for t in ticket_ids]},
        ).fetchall()
        return {str(r[0]) for r in rows}

    def raw_tickets(self, rows: set[int]) -> pd.DataFrame:
        """The export's ticket rows numbered `rows`, as the profile read them (text, `_row`)."""
        wanted = pa.table({"_row": pa.array(sorted(rows), type=pa.int64())})
        self.con.register("_wanted", wanted)
        try:
            return fetch(
                self.con,
                f"SELECT _row, {', '.join(RAW_TICKET_COLUMNS)} FROM _ex_t"
                " SEMI JOIN _wanted USING (_row) ORDER BY _pos",
            )
        finally:
            self.con.unregister("_wanted")

    @cached_property
    def row_ticket(self) -> pd.DataFrame:
        """_row, ticket_id, contract_id of every kept input row"""
        return fetch(self.con, "SELECT * FROM v_rows ORDER BY _pos").drop(columns=["_pos"])

    def release(self) -> None:
        """Drop the validation's working tables (the export's rows, the judged rows) once the
        merge has copied what it needs: under the ingest's memory limit their memory (or their
        spill) is then the merge's sorts'. The frames above cannot be read afterwards."""
        for (name,) in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary"
            " AND (starts_with(table_name, 'v_') OR starts_with(table_name, '_ex_'))"
        ).fetchall():
            self.con.execute(f'DROP TABLE "{name}"')  # names of our own tables, never input


def source_column(src: dict[str, str], name: str) -> str:
    """The export's own name of a field, for messages."""
    return src.get(name, name)


def severity_lookup(
    terms_by_contract: dict[str, list[Terms]], routing: Routing | None = None
) -> dict[tuple[str, str], str]:
    """(contract_id, lower-cased label) -> tier, over every version of the contract, plus the
    labels the contract's operational settings map (routing)."""
    out: dict[tuple[str, str], str] = {}
    for cid, aliases in (routing.severity_aliases if routing else {}).items():
        for label, tier in aliases.items():
            out[(cid, label)] = tier
    for cid, versions in terms_by_contract.items():
        for t in versions:
            for tier in t.tiers:
                out[(cid, tier.lower())] = tier
            for label, tier in t.severity_map.items():
                out[(cid, label.strip().lower())] = tier
    return out


def _arrow(df: pd.DataFrame, columns: list[str]) -> pa.Table:
    """The columns as Arrow text (missing ones empty) plus `_row` and `_pos` (the frame's own
    order): DuckDB scans Arrow without a copy."""
    arrays = {}
    for c in columns:
        col = df[c] if c in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")
        if col.dtype != pd.StringDtype("pyarrow"):
            col = col.astype("string[pyarrow]")
        arrays[c] = pa.array(col)
    arrays["_row"] = pa.array(df["_row"].astype("int64").to_numpy())
    arrays["_pos"] = pa.array(np.arange(len(df), dtype=np.int64))
    return pa.table(arrays)


def _routes(con: duckdb.DuckDBPyConnection, routing: Routing | None, contract: str | None) -> None:
    """route(raw, routed, routed_here): each distinct contract cell through the customer keys."""
    raws = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT nullif(py_strip(contract_id), '') AS c FROM _ex_t WHERE c IS NOT NULL"
        ).fetchall()
    ]
    if contract is not None:
        raws.append(contract.strip())
    known = {r[0] for r in con.execute("SELECT contract_id FROM v_known").fetchall()}
    rows = []
    for raw in dict.fromkeys(raws):
        target = routing.contract_for(raw) if routing is not None else None
        routed = raw if raw in known or not (routing and routing.customer_keys) else target or raw
        rows.append((raw, routed, target is not None and target == contract))
    v_route = pd.DataFrame(rows, columns=["raw", "routed", "routed_here"]).astype(
        {"raw": "string", "routed": "string", "routed_here": "bool"}
    )
    con.register("_route", v_route)
    con.execute("CREATE OR REPLACE TEMP TABLE v_route AS SELECT * FROM _route")
    con.unregister("_route")


def validate(
    ex: Extract,
    file: str,
    tz: str | None,
    contract: str | None,
    terms_by_contract: dict[str, list[Terms]],
    history_file: str | None = None,
    routing: Routing | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Valid:
    """Typed, checked tickets and events; bad rows quarantined with reasons. The results are
    tables of `con` (a new connection when none is given)."""
    src = ex.source_columns
    if contract is None and "contract_id" not in src:
        raise NoContractColumn(file)
    con = con if con is not None else connect()
    con.execute("SET TimeZone = 'UTC'")
    naive_in_sql = tz is None or bool(
        one_row(con, "SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [tz])[0]
    )
    for name, value in {
        "tz": tz,
        "naive_in_sql": naive_in_sql,
        "contract": contract.strip() if contract is not None else None,
        "routing": routing is not None,
        "history_file": history_file is not None,
        "has_contract_column": "contract_id" in src,
        "with_minutes": "first_response_minutes" in ex.tickets.columns,
        "future_us": int(
            (time.time() + FUTURE_SLACK_HOURS * 3600) * 1_000_000
        ),  # validate_rules: later than this is in the future
    }.items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    con.execute(sql("validate_macros"))
    _reference_tables(con, terms_by_contract, routing, ex, src)
    if not ex.in_database:  # else the profile streamed them into these tables already
        con.register("_ex_t", _arrow(ex.tickets, RAW_TICKET_COLUMNS))
        con.register("_ex_rows", _arrow(ex.row_ticket, ["ticket_id"]))
    con.register("_ex_e", _arrow(ex.events, ["ticket_id", "changed_at", "field", "value"]))
    _routes(con, routing, contract)

    # who each row belongs to, whether it breaks an identity rule, how many copies of its ticket
    # stand after those rules, and each time as SQL reads it
    fields = {n: n.removesuffix("_at") for n in TIME_FIELDS}
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_t1 AS
        WITH cells AS (
            SELECT * REPLACE (py_strip(ticket_id) AS ticket_id),
                   CASE WHEN getvariable('has_contract_column')
                        THEN nullif(py_strip(contract_id), '') END AS c0
            FROM _ex_t
        ), owned AS (
            SELECT c.*,
                   getvariable('contract') IS NOT NULL AND c.c0 IS NOT NULL
                     AND c.c0 <> getvariable('contract')
                     AND NOT coalesce(r.routed_here, false) AS contract_mismatch,
                   CASE WHEN getvariable('contract') IS NOT NULL
                        THEN coalesce(rc.routed, getvariable('contract'))
                        ELSE coalesce(r.routed, c.c0) END AS contract
            FROM cells c LEFT JOIN v_route r ON r.raw = c.c0
            LEFT JOIN v_route rc ON rc.raw = getvariable('contract')
        ), flagged AS (
            SELECT o.*, k.contract_id IS NOT NULL AS known_contract
            FROM owned o LEFT JOIN v_known k ON k.contract_id = o.contract
        ), judged AS (
            SELECT *, {first_broken(IDENTITY_RULES)} AS id_rule FROM flagged
        )
        SELECT *, {read_in_sql(fields)} FROM judged"""
    )
    # a ticket id twice in the file (among the rows still standing): every copy goes
    con.execute(
        """CREATE OR REPLACE TEMP TABLE v_dups AS
        SELECT contract, ticket_id FROM v_t1 WHERE id_rule IS NULL
        GROUP BY ALL HAVING count(*) > 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP VIEW v_t1s AS
        SELECT v_t1.*, d.ticket_id IS NOT NULL AS dup
        FROM v_t1 LEFT JOIN v_dups d
             ON d.contract = v_t1.contract AND d.ticket_id = v_t1.ticket_id"""
    )
    standing = "id_rule IS NULL AND NOT dup"

    # times: each column's day/month order from its own values (or the file's, or as stated)
    # a column with no numeric date at all says nothing among its standing rows either: only
    # the others are counted again over the rows still standing (a join)
    numeric = one_row(
        con,
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE regexp_matches({n}, ?))" for n in TIME_FIELDS)
        + " FROM _ex_t",
        [dateorder.HAS_NUMERIC] * len(TIME_FIELDS),
    )
    found: dict[str, tuple[dateorder.Evidence, str, int]] = {
        n: (None, "", 0) for n, k in zip(TIME_FIELDS, numeric, strict=True) if not k
    }
    recount = [n for n in TIME_FIELDS if n not in found]
    if recount:
        found |= evidence(con, "v_t1s", recount, standing)
    if len(ex.events):
        found |= evidence(con, "_ex_e", ["changed_at"], "true")
    seen = {n: e for n, (e, _, _) in found.items()}
    examples = {n: x for n, (_, x, _) in found.items()}
    labels = {n: src.get(n, n) for n in seen}
    orders, order_notes = dateorder.decide_from(seen, examples, ex.date_order, file, labels)
    ex.notes.extend(n for n in order_notes if n not in ex.notes)
    ex.layouts = {f: dateorder.layouts(o, ex.time_formats) for f, o in orders.items()}

    def layouts(name: str) -> tuple[str, ...]:
        return ex.layouts.get(name, ex.time_formats)

    joins, times = read_rest(
        con, "v_t1s", standing, fields, tz, {n: layouts(n) for n in TIME_FIELDS}
    )
    minutes = "try_cast(py_strip(first_response_minutes) AS DOUBLE)"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_t4 AS
        WITH timed AS (
            SELECT r._pos, r._row, r.ticket_id, r.contract, r.notes, r.severity,
                   r.first_response_minutes AS minutes_text,
                   CASE WHEN isfinite({minutes}) THEN {minutes} END AS minutes, {times},
                   CASE WHEN py_strip(coalesce(r.severity, '')) = '' THEN '{NO_PRIORITY_LABEL}'
                        ELSE lower(py_strip(r.severity)) END AS label
            FROM v_t1s r {joins}
            WHERE r.id_rule IS NULL AND NOT r.dup
        ), reply AS (
            SELECT * REPLACE (
                CASE WHEN getvariable('with_minutes')
                     THEN created_us + round_even(minutes * 60e6, 0)::BIGINT
                     ELSE first_response_us END AS first_response_us)
            FROM timed
        ), tiered AS (
            SELECT r.*, m.tier
            FROM reply r LEFT JOIN v_tiers m ON m.contract_id = r.contract AND m.label = r.label
        )
        SELECT * EXCLUDE (label, severity, minutes_text, minutes),
               {first_broken(TICKET_RULES, len(IDENTITY_RULES) + 1)} AS rule_no
        FROM tiered"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW v_tickets AS SELECT ticket_id, contract AS contract_id,"
        " tier AS severity, created_us, first_response_us, resolved_us, notes, _row, _pos"
        " FROM v_t4 WHERE rule_no IS NULL"
    )
    _events(con, tz, layouts("changed_at"))
    _say_unexplained_open(con, ex)
    # each row of a streamed generic export is one ticket and nothing else rejects rows: its kept
    # rows are its kept tickets (no join of every row with every ticket)
    rows_are_tickets = (
        ex.in_database
        and not ex.rejected
        and (history_file is not None or (not ex.history_rejected and not len(ex.events)))
    )
    account_rows(con, rows_are_tickets)
    return Valid(
        con=con,
        input_rows=int(one_row(con, "SELECT count(*) FROM _ex_rows")[0]),
        quarantine=quarantine_table(con, file, history_file),
        rows_are_tickets=rows_are_tickets,
    )


def _say_unexplained_open(con: duckdb.DuckDBPyConnection, ex: Extract) -> None:
    """An export with no status, close time or history cannot tell an open ticket from one closed
    without a resolution time: count the tickets treated as open, and the old ones among them."""
    if {"status", "closed_at"} & set(ex.source_columns) or len(ex.events):
        return
    n, old = one_row(
        con,
        "SELECT count(*) FILTER (WHERE resolved_us IS NULL),"
        " count(*) FILTER (WHERE resolved_us IS NULL AND created_us <"
        " (SELECT max(created_us) FROM v_tickets) - 365 * 86400000000)"
        " FROM v_tickets",
    )
    ex.open_unexplained = int(n or 0)
    if n:
        ex.notes.append(
            f"no status or close-time column: {n:,} tickets have no resolution and are treated as "
            f"open; {old or 0:,} of them were created over a year before the newest ticket — map "
            "a status or a closed time if your export has one"
        )


def _reference_tables(
    con: duckdb.DuckDBPyConnection,
    terms_by_contract: dict[str, list[Terms]],
    routing: Routing | None,
    ex: Extract,
    src: dict[str, str],
) -> None:
    """v_known (contracts with terms), v_tiers (contract, label -> tier), v_rejected (the rows
    the profile rejected) and v_rule_columns (the column each rule reports under)."""
    v_known = pd.DataFrame({"contract_id": pd.Series(list(terms_by_contract), dtype="string")})
    v_tiers = pd.DataFrame(
        [
            (c, label, tier)
            for (c, label), tier in severity_lookup(terms_by_contract, routing).items()
        ],
        columns=["contract_id", "label", "tier"],
    ).astype("string")
    v_rejected = pd.DataFrame(
        [(0, r, c, w) for r, c, w in ex.rejected]
        + [(1, r, c, w) for r, c, w in ex.history_rejected],
        columns=["k", "row", "column", "reason"],
    ).astype({"k": "int64", "row": "int64", "column": "string", "reason": "string"})
    numbered = (
        [(-1, "ticket_id", PROFILE_RULE)]
        + [(i, r.field, r.name) for i, r in enumerate(IDENTITY_RULES)]
        + [(len(IDENTITY_RULES), "ticket_id", DUPLICATE_RULE)]
        + [(len(IDENTITY_RULES) + 1 + i, r.field, r.name) for i, r in enumerate(TICKET_RULES)]
        + [(100 + i, r.field, r.name) for i, r in enumerate(EVENT_RULES)]
        + [(1000, "ticket_id", LOST_RULE)]
    )
    v_rule_columns = pd.DataFrame(
        [(no, _column_of(src, f), rule) for no, f, rule in numbered],
        columns=["no", "name", "rule"],
    ).astype({"no": "int64", "name": "string", "rule": "string"})
    for name, frame in {
        "v_known": v_known.drop_duplicates(),
        "v_tiers": v_tiers,
        "v_rejected": v_rejected,
        "v_rule_columns": v_rule_columns,
    }.items():
        con.register(f"_{name}", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}")
        con.unregister(f"_{name}")


def _column_of(src: dict[str, str], field_name: str) -> str:
    """The column a rule's quarantined row is reported under."""
    return {
        "history_ticket_id": "ticket_id",
        "changed_at": src.get("changed_at", "changed_at"),
        "history_severity": src.get("severity", "value"),
        "history_status": src.get("status", "value"),
    }.get(field_name, source_column(src, field_name))


def _events(con: duckdb.DuckDBPyConnection, tz: str | None, layouts: tuple[str, ...]) -> None:
    """e2 (every history row that reached the rules, with the rule it breaks) and v_events."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_e1 AS
        WITH owners AS (
            SELECT ticket_id, count(*) AS owners, any_value(contract_id) AS contract_id,
                   any_value(created_us) AS created_us
            FROM v_tickets GROUP BY ticket_id
        ), cells AS (
            SELECT * REPLACE (py_strip(ticket_id) AS ticket_id) FROM _ex_e
        )
        SELECT e.*, coalesce(o.owners, 0) AS owners, o.contract_id, o.created_us,
               {read_in_sql({"changed_at": "changed"})}
        FROM cells e LEFT JOIN owners o USING (ticket_id)
        -- a history row of no ticket in the same file is dropped (its row is accounted there)
        WHERE getvariable('history_file') OR o.owners IS NOT NULL"""
    )
    joins, times = read_rest(
        con, "v_e1", "true", {"changed_at": "changed"}, tz, {"changed_at": layouts}
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE v_e2 AS
        WITH timed AS (
            SELECT r._pos, r._row, r.ticket_id, r.contract_id, r.created_us, r.owners, r.field,
                   r.value, {times}
            FROM v_e1 r {joins}
        ), tiered AS (
            SELECT e.*, m.tier
            FROM timed e LEFT JOIN v_tiers m ON m.contract_id = e.contract_id
                 AND m.label = lower(py_strip(coalesce(e.value, '')))
        )
        SELECT *, {first_broken(EVENT_RULES, 100)} AS rule_no FROM tiered"""
    )
    # a change logged before the ticket's creation is clamped to creation (clock skew), not lost
    con.execute(
        """CREATE OR REPLACE TEMP VIEW v_events AS
        SELECT ticket_id, contract_id, greatest(changed_us, created_us) AS changed_us, field,
               CASE WHEN field = 'severity' THEN tier ELSE value END AS value, _row, _pos
        FROM v_e2 WHERE rule_no IS NULL"""
    )
