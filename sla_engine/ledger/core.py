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
from pathlib import Path

import pandas as pd

from sla_engine import __version__
from sla_engine.ledger.build import build_full, build_incremental
from sla_engine.ledger.files import FORMAT, Ledger, finals, latest, load_dir
from sla_engine.rulebook.engine import aggregate_per_metric, evaluate_relation
from sla_engine.rulebook.terms import Terms
from sla_engine.sqlfiles import quote, sql
from sla_engine.store.core import fsync_tree
from sla_engine.store.gen_files import open_inputs

__all__ = ["Ledger", "build", "finals", "fingerprint", "latest", "load", "monthly_report"]

ENGINE_SQL = ("macros", "evaluate")
VOID_SHARE = 0.25  # re-judged rows above this share of the final rows: rebuild from scratch
MAX_PARTS = 32


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


def ledger_dir(gen: Path, terms: list[Terms]) -> Path:
    return gen / f"sla-{fingerprint(terms)}"


def load(gen: Path, terms: list[Terms]) -> Ledger | None:
    """The ledger of this generation and terms list, if it has been built."""
    return load_dir(ledger_dir(gen, terms))


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
    gen: Path,
    terms: list[Terms],
    prev: Ledger | None = None,
    changed: pd.DataFrame | None = None,
    layer: int | None = None,
) -> Ledger:
    """Judge the generation's tickets and write its ledger (or return the one already there).

    With `prev` (a ledger of this generation, or of the one before it plus `changed`: the
    (contract_id, ticket_id) whose facts this generation changed or added), only those tickets,
    the open ones and the tickets of contracts whose terms changed are judged; the rest of `prev`'s
    results are kept. `layer`: `gen` is `prev`'s generation plus that layer (gen_files.py; the
    caller knows), so the tickets to judge are read from the layer and `prev`'s open tickets.
    """
    final_path = ledger_dir(gen, terms)
    existing = load_dir(final_path)
    if existing is not None:
        return existing
    _drop_abandoned(gen)
    tmp = gen / f".{final_path.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        how = _plan(prev, gen, terms, changed)
        if how == "incremental" and prev is not None:
            now = contract_fingerprints(terms)
            retermed = sorted(
                c for c in set(now) | set(prev.contracts) if now.get(c) != prev.contracts.get(c)
            )
            meta = build_incremental(gen, terms, prev, changed, tmp, retermed, layer)
        else:
            meta = build_full(gen, terms, tmp)
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
            if load_dir(final_path) is None:  # not a lost race with another builder: a real failure
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    built = load_dir(final_path)
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


def monthly_report(ledger: Ledger, terms: list[Terms], as_of_us: int) -> pd.DataFrame:
    """Raw monthly rows (before status) from the ledger: the final totals plus the live tickets
    evaluated now."""
    if as_of_us < ledger.settled_us:
        raise ValueError(
            "a ledger answers only at or after its settled instant"
        )  # callers check first
    con = open_inputs(ledger.path, prefix="live_")
    rel = evaluate_relation(con, terms, as_of_us)
    totals = f"read_parquet({quote(ledger.totals)})"
    return aggregate_per_metric(
        con,
        "SELECT x.tier_key, t.month, 'response' AS metric, t.resp_met AS met, t.n "
        f"FROM {totals} t JOIN t_tiers x ON x.terms_id = t.terms_id AND x.severity = t.resp_sev "
        "UNION ALL SELECT x.tier_key, t.month, 'resolution', t.res_met, t.n "
        f"FROM {totals} t JOIN t_tiers x ON x.terms_id = t.terms_id AND x.severity = t.res_sev",
        rel.sql_query(),
    )
