"""Parked rows on disk: the files a store generation keeps of the tickets ingest parked
(sla_engine/ingest/parked.py says which and why), as normalised text a re-route reads back as a
generic export."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

TICKETS, EVENTS = "parked_tickets.parquet", "parked_events.parquet"
TICKET_COLUMNS = [
    "ticket_id",
    "contract_id",
    "severity",
    "created_at",
    "first_response_at",
    "resolved_at",
]
EVENT_COLUMNS = ["ticket_id", "changed_at", "field", "value"]


def read(gen: Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    empty = (
        pd.DataFrame(columns=TICKET_COLUMNS, dtype="string"),
        pd.DataFrame(columns=EVENT_COLUMNS, dtype="string"),
    )
    if gen is None or not (gen / TICKETS).exists():
        return empty
    return (
        pd.read_parquet(gen / TICKETS).astype("string"),
        pd.read_parquet(gen / EVENTS).astype("string"),
    )


def write(gen: Path, parked: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    parked[0].to_parquet(gen / TICKETS, index=False)
    parked[1].to_parquet(gen / EVENTS, index=False)


def as_files(gen: Path) -> tuple[Path, Path] | None:
    """The parked rows as a generic export and history file, for a re-route (None: nothing)."""
    t, e = read(gen)
    if not len(t):
        return None
    folder = Path(tempfile.mkdtemp(prefix="covenant-reroute-"))
    t.to_csv(folder / "parked.csv", index=False)
    e.to_csv(folder / "parked-history.csv", index=False)
    return folder / "parked.csv", folder / "parked-history.csv"
