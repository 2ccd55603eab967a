"""Hypothesis: whatever sequence of exports and terms changes reaches a store, the incremental SLA
ledger it ends with keeps exactly what a ledger built from scratch on the last generation keeps, and
its report equals a full evaluation."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
from helpers import terms_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ledger_incremental import assert_same_as_scratch

from sla_engine.ingest.run import ingest
from sla_engine.ledger.register import register_terms
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

CONTRACTS = ("ACME", "BETA")
BASE = pd.Timestamp("2025-03-03T09:00:00-05:00")  # a Monday morning in New York
STATUSES = ("open", "pending", "open", "solved", "open", "solved")  # pause, reopen


ticket = st.fixed_dictionaries(
    {
        "ticket_id": st.sampled_from([f"T{i}" for i in range(12)]),
        "contract_id": st.sampled_from(CONTRACTS),
        "severity": st.sampled_from(["P1", "P2"]),
        "created_h": st.integers(0, 24 * 20),
        "response_h": st.one_of(st.none(), st.integers(0, 48)),
        "resolved_h": st.one_of(st.none(), st.integers(0, 24 * 10)),
        "history": st.integers(0, len(STATUSES)),  # how many status changes it went through
    }
)
step = st.one_of(
    st.tuples(st.just("export"), st.lists(ticket, min_size=1, max_size=8)),
    st.tuples(st.just("terms"), st.sampled_from(CONTRACTS), st.sampled_from([15, 60, 600])),
)


def write_export(folder: Path, n: int, rows: list[dict]) -> tuple[Path, Path]:
    seen: dict[str, dict] = {}
    for r in rows:  # one row per ticket id in a file (later rows win), as exports are
        seen[r["ticket_id"]] = r
    tickets, history = [], []
    for r in seen.values():
        created = BASE + pd.Timedelta(hours=r["created_h"])
        resolved = created + pd.Timedelta(hours=r["resolved_h"]) if r["resolved_h"] else None
        response = created + pd.Timedelta(hours=r["response_h"]) if r["response_h"] else None
        tickets.append(
            {
                "ticket_id": r["ticket_id"],
                "contract_id": r["contract_id"],
                "severity": r["severity"],
                "created_at": created.isoformat(),
                "first_response_at": response.isoformat() if response is not None else "",
                "resolved_at": resolved.isoformat() if resolved is not None else "",
            }
        )
        for k, status in enumerate(STATUSES[: r["history"]]):
            history.append(
                {
                    "ticket_id": r["ticket_id"],
                    "changed_at": (created + pd.Timedelta(hours=3 * k + 1)).isoformat(),
                    "field": "status",
                    "value": status,
                }
            )
    t, h = folder / f"t{n}.csv", folder / f"h{n}.csv"
    pd.DataFrame(tickets).to_csv(t, index=False)
    pd.DataFrame(history, columns=["ticket_id", "changed_at", "field", "value"]).to_csv(
        h, index=False
    )
    return t, h


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=1, max_size=4))
def test_any_sequence_of_exports_and_terms_changes_keeps_the_ledger_exact(steps):
    work = Path(tempfile.mkdtemp(prefix="covenant-ledger-prop-"))
    try:
        store = Store(work / "store")
        for c in CONTRACTS:
            store.add_terms(parse_terms(terms_doc(contract_id=c)))
        exported = False
        for n, s in enumerate(steps):
            if s[0] == "export":
                t, h = write_export(work, n, s[1])
                ingest(store, t, "generic", history=h)
                exported = True
            else:
                doc = terms_doc(contract_id=s[1])
                doc["tiers"]["P1"]["response_minutes"] = s[2]
                register_terms(store, parse_terms(doc))
        if exported:
            assert_same_as_scratch(store, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
