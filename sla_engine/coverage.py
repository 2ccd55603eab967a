"""Tickets that no SLA terms version judges: created when no version of their contract was in
force, or with a severity the version in force has no tier for. evaluate.sql leaves them out (its
"terms in force" rule); the ingest says how many and when, so a month missing from the reports is
explained instead of silently absent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb
import pandas as pd

from .engine import terms_frames
from .sqlfiles import connect
from .store import Store
from .terms import Terms

# the "terms in force" joins of evaluate.sql, kept as the tickets they do not match: a version in
# force at creation with a tier for the ticket's severity (for a ticket whose severity changed, the
# evaluation looks the tier up per metric, by the severity at the metric's end; here, the last one)
UNCOVERED = """
SELECT n.contract_id, count(*) AS tickets,
       min(n.created_us) AS first_us, max(n.created_us) AS last_us
FROM {table} n
ANTI JOIN _coverage x
  ON x.contract_id = n.contract_id AND x.severity = n.severity
 AND n.created_us >= x.from_us AND n.created_us < x.to_us
GROUP BY n.contract_id ORDER BY n.contract_id
"""


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


def uncovered(con: duckdb.DuckDBPyConnection, table: str, terms: list[Terms]) -> list[Uncovered]:
    """Per contract, the tickets of `table` (the engine's `tickets` relation: contract_id, severity,
    created_us; a name of ours, never input) that evaluate.sql leaves out because no terms version
    in force at their creation has a tier for them."""
    tiers = terms_frames(terms, defaultdict(int))["t_tiers"]  # calendars play no part here
    if tiers.empty:
        return []
    con.register("_coverage", tiers[["contract_id", "severity", "from_us", "to_us"]])
    try:
        rows = con.execute(UNCOVERED.format(table=table)).fetchall()
    finally:
        con.unregister("_coverage")
    return [Uncovered(str(c), int(n), int(a), int(b)) for c, n, a, b in rows]


def store_uncovered(store: Store) -> list[Uncovered]:
    """The same over every ticket of the store's current generation (none for an empty store)."""
    if store.current() is None:
        return []
    con = connect()
    try:
        store.attach(con)
        return uncovered(con, "tickets", store.terms())
    finally:
        con.close()
