"""Tickets that no SLA terms version judges: created when no version of their contract was in
force, or with a severity the version in force has no tier for. evaluate.sql leaves them out (its
"terms in force" rule); the ingest says how many and when, so a month missing from the reports is
explained instead of silently absent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb
import pandas as pd

from sla_engine.rulebook.engine import INPUTS, evaluate_relation, latest_fact, terms_frames
from sla_engine.rulebook.terms import Terms
from sla_engine.sqlfiles import connect

# the "terms in force" joins of evaluate.sql, kept as the tickets they do not match: a version in
# force at creation with a tier for the ticket's severity. Exact for a ticket whose severity never
# changed. One whose severity changed is judged per metric by the severity in force when the metric
# completed: it may be left out only if one of its severities has no tier in the version in force,
# and those few are asked of the evaluation itself (_judged_by_the_engine).
PER_CONTRACT = (
    "SELECT contract_id, count(*) AS tickets, min(created_us) AS first_us,"
    " max(created_us) AS last_us FROM ({left_out}) GROUP BY contract_id"
)
UNCOVERED = """
SELECT n.contract_id, n.created_us
FROM tickets n
ANTI JOIN _coverage x
  ON x.contract_id = n.contract_id AND x.severity = n.severity
 AND n.created_us >= x.from_us AND n.created_us < x.to_us
WHERE n.tid NOT IN (SELECT tid FROM severity_log)
"""
MAYBE_LEFT_OUT = """
CREATE OR REPLACE TEMP TABLE _maybe_left_out AS
SELECT DISTINCT s.tid
FROM severity_log s JOIN tickets t USING (tid)
ANTI JOIN _coverage x
  ON x.contract_id = t.contract_id AND x.severity = s.severity
 AND t.created_us >= x.from_us AND t.created_us < x.to_us
"""
CANDIDATE_ROWS = "SELECT * FROM {name} WHERE tid IN (SELECT tid FROM _maybe_left_out)"


@dataclass(frozen=True)
class Uncovered:
    contract_id: str
    tickets: int
    first_us: int
    last_us: int

    def note(self) -> str:
        """The sentence the ingest report carries."""
        first, last = (
            pd.Timestamp(u, unit="us", tz="UTC").strftime("%Y-%m-%d")
            for u in (self.first_us, self.last_us)
        )
        when = f"on {first}" if first == last else f"between {first} and {last}"
        one = self.tickets == 1
        return (
            f"{self.tickets:,} {self.contract_id} {'ticket was' if one else 'tickets were'} "
            f"created {when} (UTC), when no SLA terms version of {self.contract_id} was in force "
            f"for {'its' if one else 'their'} severity: {'it is' if one else 'they are'} stored "
            "but not measured in any report until terms covering those dates are added"
        )


def uncovered(con: duckdb.DuckDBPyConnection, terms: list[Terms]) -> list[Uncovered]:
    """Per contract, the tickets of `con`'s engine inputs (tickets, status_log, severity_log: the
    names evaluate.sql reads) that the evaluation leaves out because no terms version in force at
    their creation has a tier for them."""
    tiers = terms_frames(terms, defaultdict(int))["t_tiers"]  # calendars play no part here
    if tiers.empty:
        return []
    con.register("_coverage", tiers[["contract_id", "severity", "from_us", "to_us"]])
    try:
        parts = con.execute(PER_CONTRACT.format(left_out=UNCOVERED)).fetchall()
        con.execute(MAYBE_LEFT_OUT)
        parts += _judged_by_the_engine(con, terms)
    finally:
        con.unregister("_coverage")
        con.execute("DROP TABLE IF EXISTS _maybe_left_out")
    by: dict[str, list[tuple[int, int, int]]] = defaultdict(list)  # the two parts, per contract
    for c, n, first, last in parts:
        by[str(c)].append((int(n), int(first), int(last)))
    return [
        Uncovered(c, sum(r[0] for r in rows), min(r[1] for r in rows), max(r[2] for r in rows))
        for c, rows in sorted(by.items())
    ]


def _judged_by_the_engine(con: duckdb.DuckDBPyConnection, terms: list[Terms]) -> list[tuple]:
    """Of the tickets whose severity changed to or from one without a tier (_maybe_left_out), those
    the evaluation leaves out, per contract: judged as of their latest fact (each metric's severity
    is then the one a report now uses), in a connection of their own holding only them."""
    sub = connect()
    try:
        for name in INPUTS:
            rows = con.sql(CANDIDATE_ROWS.format(name=name)).to_arrow_table()
            if name == "tickets" and rows.num_rows == 0:
                return []
            sub.register("_rows", rows)
            sub.execute(f"CREATE TABLE {name} AS SELECT * FROM _rows")  # names of ours
            sub.unregister("_rows")
        judged = evaluate_relation(sub, terms, latest_fact(sub)).sql_query()
        left_out = f"SELECT contract_id, created_us FROM tickets ANTI JOIN ({judged}) j USING (tid)"
        return sub.execute(PER_CONTRACT.format(left_out=left_out)).fetchall()
    finally:
        sub.close()
