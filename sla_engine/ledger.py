"""The SLA ledger: per-ticket results kept with each store generation, so a report is an
aggregation and an ingest judges only what changed.

Why: a ticket whose response and resolution are both complete has a result that no later evaluation
instant can change (every fact it has is in the past), so it is judged once, not on every report —
the way ServiceNow keeps task_sla records and Zendesk its SLA metric events. Only tickets still open
(or otherwise incomplete) are evaluated at report time.

Layout of `<generation>/sla-<fingerprint>/` (immutable once renamed into place):
    part-NNNN-CCC.parquet  every ticket judged by build NNNN, chunk CCC: contract_id, ticket_id,
                       terms_id, month, resp_sev, res_sev, resp_met, res_met, final, part (the
                       rows with `final` are the kept results; the others are the open tickets)
    void-NNNN.parquet  rows of older parts that build NNNN re-judged (copies, with their part)
    totals.parquet     the valid final rows counted per (terms_id, month, severities, verdicts)
    live_*.parquet     the tickets, status and severity rows of the tickets not final
    meta.json          see Meta
Parts and voids of the previous ledger are hard-linked, not copied, so a re-ingest that changed 1 %
of the tickets writes about 1 % of them (plus the open ones, which are always re-judged). A changed
terms version re-judges only its contract. When voids pile up (VOID_SHARE) the next build is full.

The fingerprint covers the terms list, the engine's SQL, its version and the holidays release, so a
changed rule or calendar never reads a stale ledger; `contracts` in meta.json holds one fingerprint
per contract, which is what decides whether that contract's old results may be reused.

A ledger answers for any evaluation instant at or after `settled_us`; before it (a report "as of" a
past day), callers evaluate from scratch. Building the same ledger twice at once is harmless: the
directory appears with one rename and the loser's copy is discarded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import __version__
from .engine import INPUTS, aggregate_per_metric, evaluate_relation, open_inputs, prepare
from .sqlfiles import one_row, sql
from .store import fsync_tree
from .terms import Terms

ENGINE_SQL = ("macros", "evaluate")
FORMAT = 2
VOID_SHARE = 0.25  # re-judged rows above this share of the final rows: rebuild from scratch
MAX_PARTS = 32
BUILD_MEMORY = "1GB"  # DuckDB spills to the build's temp folder beyond this
CHUNK = 1_000_000  # tickets evaluated at once by a build: its memory does not grow with the store
KEY = ("contract_id", "ticket_id")
FINAL_COLUMNS = (
    "contract_id, ticket_id, terms_id, month, resp_sev, res_sev, resp_met, res_met, part"
)


def engine_fingerprint() -> str:
    """What every result depends on besides the terms: engine version, SQL, holidays, format."""
    import holidays as holidays_pkg

    h = hashlib.sha256()
    h.update(f"engine {__version__} holidays {holidays_pkg.__version__} ledger {FORMAT}\n".encode())
    for name in ENGINE_SQL:
        h.update(sql(name).encode())
    return h.hexdigest()[:20]


def _terms_json(terms: list[Terms]) -> str:
    return json.dumps([t.model_dump(mode="json") for t in terms], sort_keys=True)


def fingerprint(terms: list[Terms]) -> str:
    """Names what a ledger was computed from; any change makes a new ledger."""
    h = hashlib.sha256((engine_fingerprint() + _terms_json(terms)).encode())
    return h.hexdigest()[:20]


def contract_fingerprints(terms: list[Terms]) -> dict[str, str]:
    """One fingerprint per contract: its terms versions (in list order) and the engine."""
    by: dict[str, list[Terms]] = {}
    for t in terms:
        by.setdefault(t.contract_id, []).append(t)
    eng = engine_fingerprint()
    return {
        c: hashlib.sha256((eng + _terms_json(ts)).encode()).hexdigest()[:20]
        for c, ts in sorted(by.items())
    }


@dataclass(frozen=True)
class Ledger:
    path: Path
    settled_us: int
    final_tickets: int
    live_tickets: int
    generation: str = ""
    engine: str = ""
    contracts: dict[str, str] = field(default_factory=dict)
    parts: tuple[int, ...] = ()
    judged: int = 0  # tickets evaluated by the build that wrote this ledger
    built: str = "full"  # or "incremental"
    voided: int = 0  # rows of older parts re-judged since the last full build

    @property
    def totals(self) -> Path:
        return self.path / "totals.parquet"

    def part_files(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet"))

    def void(self, n: int) -> Path:
        return self.path / f"void-{n:04d}.parquet"

    def voids(self) -> list[Path]:
        return [self.void(n) for n in self.parts if self.void(n).exists()]

    def live(self, name: str) -> Path:
        """The open tickets' rows of one evaluation input (read with the prefix `live_`)."""
        return self.path / f"live_{name}.parquet"


def _quote(path: Path) -> str:
    """A path as a SQL string literal (COPY and read_parquet lists take no bound parameter; the
    names are ours, quotes doubled anyway)."""
    return "'" + str(path).replace("'", "''") + "'"


def _files(paths: list[Path]) -> str:
    return "[" + ", ".join(_quote(p) for p in paths) + "]"


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
    if m.get("format") != FORMAT:
        return None  # written by an older engine: rebuilt, never read
    return Ledger(
        path,
        int(m["settled_us"]),
        int(m["final_tickets"]),
        int(m["live_tickets"]),
        m["generation"],
        m["engine"],
        dict(m["contracts"]),
        tuple(m["parts"]),
        int(m["judged"]),
        m["built"],
        int(m["voided"]),
    )


def latest(gen: Path) -> Ledger | None:
    """The most recently built ledger of a generation (any terms list), the base of the next."""
    found = [led for p in gen.glob("sla-*") if (led := _load(p)) is not None]
    return max(found, key=lambda led: (led.path / "meta.json").stat().st_mtime, default=None)


def finals(led: Ledger) -> str:
    """SQL of the ledger's valid final rows: every part's rows not voided by a later build."""
    parts = f"read_parquet({_files(led.part_files())})"
    voids = led.voids()
    if not voids:
        return f"SELECT {FINAL_COLUMNS} FROM {parts} WHERE final"
    return (
        f"SELECT {FINAL_COLUMNS} FROM {parts} p WHERE final AND NOT EXISTS (SELECT 1 FROM "
        f"read_parquet({_files(voids)}) v WHERE v.contract_id = p.contract_id "
        "AND v.ticket_id = p.ticket_id AND v.part = p.part)"
    )


def _settings(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    """Bounded memory: beyond BUILD_MEMORY, joins, sorts and windows spill to the build folder."""
    con.execute(f"SET memory_limit = '{BUILD_MEMORY}'")
    con.execute(f"SET temp_directory = {_quote(tmp / 'spill')}")
    con.execute("SET preserve_insertion_order = false")


def _settled(con: duckdb.DuckDBPyConnection) -> int:
    """The latest fact among the tickets in `con` (0 for none: everything was quarantined)."""
    return int(
        one_row(
            con,
            "SELECT greatest((SELECT max(greatest(created_us, coalesce(first_response_us, 0), "
            "coalesce(resolved_us, 0))) FROM tickets),"
            " (SELECT max(greatest(start_us, coalesce(end_us, 0))) FROM status_log),"
            " (SELECT max(start_us) FROM severity_log))",
        )[0]
        or 0
    )


def _judge(
    con: duckdb.DuckDBPyConnection,
    terms: list[Terms],
    settled: int,
    tmp: Path,
    src: dict[str, str],
    part: int,
) -> None:
    """Evaluate the tickets of `src` (input name -> relation) once, CHUNK ticket ids at a time so
    that memory stays flat however many there are, into the files of part `part`: identity,
    terms and tier names, verdicts, and whether the ticket is final. Leaves the view `judged`."""
    con.execute("SET VARIABLE part = ?", [part])
    for name in INPUTS:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {src[name]}")
    prepare(con, terms, settled)
    lo, hi, n = one_row(con, "SELECT min(tid), max(tid), count(*) FROM tickets")
    lo, hi = int(lo or 0), int(hi or 0)
    step = (
        CHUNK if n > CHUNK else hi - lo + 1
    )  # a few scattered tickets: one pass, not one per range
    files = []
    for k, start in enumerate(range(lo, hi + 1, max(step, 1))):
        for name in INPUTS:  # tid is an integer: the bounds are ours, not a stranger's text
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {src[name]} "
                f"WHERE tid BETWEEN {start:d} AND {start + step - 1:d}"
            )
        files.append(tmp / f"part-{part:04d}-{k:03d}.parquet")
        con.execute(
            f"COPY (WITH ev AS ({sql('evaluate')}) {sql('ledger_judged')}) "
            f"TO {_quote(files[-1])} (FORMAT parquet)"
        )
    for name in INPUTS:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {src[name]}")
    if files:
        con.execute(f"CREATE OR REPLACE TEMP VIEW judged AS FROM read_parquet({_files(files)})")
    else:  # no ticket at all: an empty ledger
        con.execute(
            "CREATE OR REPLACE TEMP TABLE judged (contract_id VARCHAR, ticket_id VARCHAR, "
            "tid BIGINT, terms_id VARCHAR, month DATE, resp_sev VARCHAR, res_sev VARCHAR, "
            "resp_met BOOLEAN, res_met BOOLEAN, final BOOLEAN, part INTEGER)"
        )


def _write_live(con: duckdb.DuckDBPyConnection, tmp: Path) -> int:
    """The inputs' rows of the judged tickets that are not final; returns how many tickets."""
    con.execute("CREATE TEMP TABLE live_tid AS SELECT tid FROM judged WHERE NOT final")
    for name in INPUTS:
        con.execute(
            f"COPY (SELECT * FROM {name} WHERE tid IN (SELECT tid FROM live_tid) ORDER BY tid) "
            f"TO {_quote(tmp / f'live_{name}.parquet')} (FORMAT parquet)"
        )
    return int(one_row(con, "SELECT count(*) FROM live_tid")[0])


def _plan(prev: Ledger | None, gen: Path, terms: list[Terms], changed: pd.DataFrame | None) -> str:
    """'incremental' when `prev` can be the base of this build, else 'full'."""
    if prev is None or prev.engine != engine_fingerprint() or len(prev.parts) >= MAX_PARTS:
        return "full"
    if changed is None and prev.generation != gen.name:
        return "full"  # another generation and no list of what changed since: judge everything
    if prev.voided > VOID_SHARE * max(prev.final_tickets, 1):
        return "full"
    return "incremental"


def build(
    gen: Path, terms: list[Terms], prev: Ledger | None = None, changed: pd.DataFrame | None = None
) -> Ledger:
    """Judge the generation's tickets and write its ledger (or return the one already there).

    With `prev` (a ledger of this generation, or of the one before it plus `changed`: the
    (contract_id, ticket_id) whose facts this generation changed or added), only those tickets,
    the open ones and the tickets of contracts whose terms changed are judged; the rest of `prev`'s
    results are kept.
    """
    final_path = ledger_dir(gen, terms)
    existing = _load(final_path)
    if existing is not None:
        return existing
    _drop_abandoned(gen)
    tmp = gen / f".{final_path.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        how = _plan(prev, gen, terms, changed)
        if how == "incremental" and prev is not None:
            meta = _build_incremental(gen, terms, prev, changed, tmp)
        else:
            meta = _build_full(gen, terms, tmp)
        meta.update(
            format=FORMAT,
            fingerprint=final_path.name[4:],
            generation=gen.name,
            engine=engine_fingerprint(),
            contracts=contract_fingerprints(terms),
            terms=[t.terms_id for t in terms],
            built=how,
        )
        shutil.rmtree(tmp / "spill", ignore_errors=True)
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


def _drop_abandoned(gen: Path) -> None:
    """Folders of builds whose process is gone (killed mid-build): nothing reads them."""
    for stale in gen.glob(".sla-*.tmp"):
        pid = stale.name.rsplit(".", 2)[-2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            continue


def _build_full(gen: Path, terms: list[Terms], tmp: Path) -> dict:
    con = open_inputs(gen)
    _settings(con, tmp)
    settled = _settled(con)
    _judge(
        con,
        terms,
        settled,
        tmp,
        {n: f"read_parquet({_quote(gen / f'{n}.parquet')})" for n in INPUTS},
        1,
    )
    _write_totals(con, "SELECT * FROM judged WHERE final", None, tmp)
    live_n = _write_live(con, tmp)
    judged, final_n = one_row(con, "SELECT count(*), count(*) FILTER (WHERE final) FROM judged")
    con.close()
    return {
        "settled_us": settled,
        "final_tickets": int(final_n),
        "live_tickets": live_n,
        "parts": [1],
        "judged": int(judged),
        "voided": 0,
    }


def _write_totals(
    con: duckdb.DuckDBPyConnection, add: str, minus: str | None, tmp: Path, base: str = ""
) -> None:
    """totals.parquet = base totals + rows of `add` - rows of `minus`, groups of zero dropped."""
    groups = "terms_id, month, resp_sev, res_sev, resp_met, res_met"
    signed = f"SELECT {groups}, 1 AS n FROM ({add})"
    if minus is not None:
        signed += f" UNION ALL SELECT {groups}, -1 AS n FROM ({minus})"
    if base:
        signed += f" UNION ALL SELECT {groups}, n FROM ({base})"
    con.execute(
        f"COPY (SELECT {groups}, sum(n)::BIGINT AS n FROM ({signed}) GROUP BY ALL "
        f"HAVING sum(n) <> 0) TO {_quote(tmp / 'totals.parquet')} (FORMAT parquet)"
    )


def _build_incremental(
    gen: Path, terms: list[Terms], prev: Ledger, changed: pd.DataFrame | None, tmp: Path
) -> dict:
    """Judge only the changed, the open, and the re-termed contracts' tickets; keep the rest."""
    now = contract_fingerprints(terms)
    retermed = sorted(
        c for c in set(now) | set(prev.contracts) if now.get(c) != prev.contracts.get(c)
    )
    con = open_inputs(gen)
    _settings(con, tmp)
    con.execute("CREATE TEMP TABLE retermed (contract_id VARCHAR)")
    if retermed:
        con.executemany("INSERT INTO retermed VALUES (?)", [[c] for c in retermed])
    con.execute("CREATE TEMP TABLE changed (contract_id VARCHAR, ticket_id VARCHAR)")
    if changed is not None and len(changed):
        con.register("_changed", changed[list(KEY)])
        con.execute(
            "INSERT INTO changed SELECT contract_id::VARCHAR, ticket_id::VARCHAR FROM _changed"
        )
        con.unregister("_changed")
    con.execute("CREATE VIEW prev_finals AS " + finals(prev))
    con.execute(
        f"CREATE VIEW prev_live AS SELECT contract_id, ticket_id FROM "
        f"read_parquet({_quote(prev.live('tickets'))})"
    )
    # the inputs narrowed to the tickets to judge; evaluate.sql reads these names
    con.execute(sql("ledger_narrow"))
    k = max(prev.parts) + 1
    settled = max(prev.settled_us, _settled(con))
    _judge(con, terms, settled, tmp, {n: f"judge_{n}" for n in INPUTS}, k)
    void = tmp / f"void-{k:04d}.parquet"
    con.execute(
        "COPY (SELECT p.* FROM prev_finals p SEMI JOIN changed c USING (contract_id, ticket_id)"
        " UNION ALL SELECT p.* FROM prev_finals p ANTI JOIN changed c"
        " USING (contract_id, ticket_id) WHERE p.contract_id IN (SELECT contract_id FROM retermed))"
        f" TO {_quote(void)} (FORMAT parquet)"
    )
    _write_totals(
        con,
        "SELECT * FROM judged WHERE final",
        f"SELECT * FROM read_parquet({_quote(void)})",
        tmp,
        base=f"SELECT * FROM read_parquet({_quote(prev.totals)})",
    )
    live_n = _write_live(con, tmp)
    judged, new_final = one_row(con, "SELECT count(*), count(*) FILTER (WHERE final) FROM judged")
    voided = int(one_row(con, f"SELECT count(*) FROM read_parquet({_quote(void)})")[0])
    con.close()
    for f in prev.part_files() + prev.voids():  # the unchanged results: linked, not rewritten
        _link(f, tmp / f.name)
    return {
        "settled_us": settled,
        "final_tickets": prev.final_tickets - voided + int(new_final),
        "live_tickets": live_n,
        "parts": [*prev.parts, k],
        "judged": int(judged),
        "voided": prev.voided + voided,
    }


def _link(src: Path, dst: Path) -> None:
    """A hard link (instant, and it outlives the older generation's folder); a copy across
    filesystems."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def monthly_report(ledger: Ledger, terms: list[Terms], as_of_us: int) -> pd.DataFrame:
    """Raw monthly rows (before status) from the ledger: the final totals plus the live tickets
    evaluated now."""
    if as_of_us < ledger.settled_us:
        raise ValueError(
            "a ledger answers only at or after its settled instant"
        )  # callers check first
    con = open_inputs(ledger.path, prefix="live_")
    rel = evaluate_relation(con, terms, as_of_us)
    totals = f"read_parquet({_quote(ledger.totals)})"
    return aggregate_per_metric(
        con,
        "SELECT x.tier_key, t.month, 'response' AS metric, t.resp_met AS met, t.n "
        f"FROM {totals} t JOIN t_tiers x ON x.terms_id = t.terms_id AND x.severity = t.resp_sev "
        "UNION ALL SELECT x.tier_key, t.month, 'resolution', t.res_met, t.n "
        f"FROM {totals} t JOIN t_tiers x ON x.terms_id = t.terms_id AND x.severity = t.res_sev",
        rel.sql_query(),
    )
