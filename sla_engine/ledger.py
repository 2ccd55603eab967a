"""The SLA ledger: per-ticket results kept with each store generation, so a report is an
aggregation.

Why: a ticket whose response and resolution are both complete has a result that no later evaluation
instant can change (every fact it has is in the past), so it is judged once, when its generation is
written, not on every report — the way ServiceNow keeps task_sla records and Zendesk its SLA metric
events. Only tickets still open (or otherwise incomplete) are evaluated at report time.

Layout, inside a generation directory (immutable like the rest of it):
    sla-<fingerprint>/results.parquet   final per-ticket results (tid, terms_key, month, tier keys,
    met, ...)
    sla-<fingerprint>/live_*.parquet    the tickets, status and severity rows of the tickets not
    final
    sla-<fingerprint>/meta.json         fingerprint, settled_us (latest fact of the generation),
    counts
The fingerprint covers the terms list (in order: terms and tier keys are positions in it), the
engine's
SQL, its version and the holidays release, so a changed rule or calendar never reads a stale ledger.

A ledger answers for any evaluation instant at or after `settled_us`; before it (a report "as of" a
past
day), callers evaluate from scratch. Building the same ledger twice at once is harmless: the
directory
appears with one rename and the loser's copy is discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from . import __version__
from .engine import INPUTS, aggregate_report, evaluate_relation, open_inputs
from .sqlfiles import one_row, sql
from .store import fsync_tree
from .terms import Terms

ENGINE_SQL = ("macros", "evaluate")


def fingerprint(terms: list[Terms]) -> str:
    """Names what a ledger was computed from; any change makes a new ledger."""
    import holidays as holidays_pkg

    h = hashlib.sha256()
    h.update(f"engine {__version__} holidays {holidays_pkg.__version__}\n".encode())
    for name in ENGINE_SQL:
        h.update(sql(name).encode())
    h.update(json.dumps([t.model_dump(mode="json") for t in terms], sort_keys=True).encode())
    return h.hexdigest()[:20]


@dataclass(frozen=True)
class Ledger:
    path: Path
    settled_us: int
    final_tickets: int
    live_tickets: int

    @property
    def results(self) -> Path:
        return self.path / "results.parquet"

    def live(self, name: str) -> Path:
        """The open tickets' rows of one evaluation input (read with the prefix `live_`)."""
        return self.path / f"live_{name}.parquet"


def ledger_dir(gen: Path, terms: list[Terms]) -> Path:
    return gen / f"sla-{fingerprint(terms)}"


def load(gen: Path, terms: list[Terms]) -> Ledger | None:
    """The ledger of this generation and terms list, if it has been built."""
    return _load(ledger_dir(gen, terms))


def _load(path: Path) -> Ledger | None:
    meta = path / "meta.json"
    if not meta.exists():
        return None
    m = json.loads(meta.read_text(encoding="utf-8"))
    return Ledger(path, int(m["settled_us"]), int(m["final_tickets"]), int(m["live_tickets"]))


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    path = str(target).replace(
        "'", "''"
    )  # COPY takes no bound path; the name is ours, quotes doubled anyway
    con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")


def build(gen: Path, terms: list[Terms]) -> Ledger:
    """Judge every ticket of the generation once and write the ledger (or return the one already
    there)."""
    final_path = ledger_dir(gen, terms)
    existing = _load(final_path)
    if existing is not None:
        return existing
    tmp = gen / f".{final_path.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        con = open_inputs(gen)
        settled = one_row(
            con,
            "SELECT greatest((SELECT max(greatest(created_us, coalesce(first_response_us, 0), "
            "coalesce(resolved_us, 0)))"
            " FROM tickets), (SELECT max(greatest(start_us, coalesce(end_us, 0))) FROM status_log),"
            " (SELECT max(start_us) FROM severity_log))",
        )[0]
        # a generation whose rows were all quarantined has an empty ledger
        settled = int(settled or 0)
        rel = evaluate_relation(con, terms, settled)
        con.execute("CREATE TEMP TABLE ev AS " + rel.sql_query())
        con.execute(
            "CREATE TEMP TABLE live_tid AS SELECT tid FROM ev WHERE NOT (resp_done AND res_done)"
        )
        _copy(
            con,
            "SELECT e.*, t.created_us FROM ev e JOIN tickets t USING (tid)"
            " WHERE e.resp_done AND e.res_done ORDER BY e.tid",
            tmp / "results.parquet",
        )
        for name in INPUTS:
            _copy(
                con,
                f"SELECT * FROM {name} WHERE tid IN (SELECT tid FROM live_tid)",
                tmp / f"live_{name}.parquet",
            )
        total, live_n = one_row(
            con, "SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM live_tid)"
        )
        con.close()
        meta = {
            "fingerprint": final_path.name[4:],
            "settled_us": settled,
            "final_tickets": int(total - live_n),
            "live_tickets": int(live_n),
            "terms": [t.terms_id for t in terms],
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        fsync_tree(tmp)
        try:
            os.rename(tmp, final_path)
        except OSError:
            if _load(final_path) is None:  # not a lost race with another builder: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    built = _load(final_path)
    assert built is not None
    return built


def monthly_report(ledger: Ledger, terms: list[Terms], as_of_us: int) -> pd.DataFrame:
    """Raw monthly rows (before status) from the ledger: final results plus the live tickets
    evaluated now."""
    if as_of_us < ledger.settled_us:
        raise ValueError(
            "a ledger answers only at or after its settled instant"
        )  # callers check first
    con = open_inputs(ledger.path, prefix="live_")
    rel = evaluate_relation(con, terms, as_of_us)
    cols = "terms_key, month, resp_tier_key, res_tier_key, resp_met, res_met"
    results = str(ledger.results).replace("'", "''")
    return aggregate_report(
        con,
        f"SELECT {cols} FROM read_parquet('{results}') UNION ALL SELECT {cols} FROM ("
        + rel.sql_query()
        + ")",
    )
