"""A cached generation: what the engine derives from one version of the store's table, kept on
this host beside it (store.py says when it is made; normalize.sql says what the relations mean).

The writer of a batch writes it from the tables its merge already holds (gen_files.py); any
other process derives it from the table's snapshot (`derive_into`), so a host that did not write
the batch, or a writer killed between its commit and its cache, still reads the same figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sla_engine.sqlfiles import connect
from sla_engine.store import gen_files
from sla_engine.store import parked_files as parked
from sla_engine.store.derive import derive
from sla_engine.store.table import column

if TYPE_CHECKING:
    from sla_engine.store.core import Snapshot, Store

PARKED_PARTS = {"tickets": parked.TICKET_COLUMNS, "events": parked.EVENT_COLUMNS}


def derive_into(store: Store, snap: Snapshot, folder: Path) -> None:
    """The generation of `snap`, derived from the table alone."""
    con = connect()
    try:
        con.execute("SET temp_directory = ?", [str(folder.parent / "duckdb")])
        store.attach_facts(con, snap.dt)
        con.execute(
            "CREATE TEMP TABLE t_in AS SELECT contract_id, ticket_id, severity, created_us,"
            " first_response_us, resolved_us FROM base"
        )
        con.execute("CREATE TEMP TABLE e_in AS SELECT * FROM events")
        derive(con)
        gen_files.write(con, folder)
    finally:
        con.close()
    parked.write(folder, parked_rows(store, snap))


def parked_rows(store: Store, snap: Snapshot) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The parked tickets and their history rows kept in this snapshot."""
    out = []
    for part, columns in PARKED_PARTS.items():
        payloads = column(snap.dt, store.table.location, "parked", "payload", [part])
        frame = pd.DataFrame([json.loads(p) for p in payloads], columns=columns)
        out.append(frame.astype("string"))
    return out[0], out[1]
