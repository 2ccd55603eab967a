"""What an SLA ledger folder holds and how it is read (written by build.py; what a ledger is and
when it is rebuilt: core.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sla_engine.sqlfiles import file_list

FORMAT = 2
KEY = ("contract_id", "ticket_id")
FINAL_COLUMNS = (
    "contract_id, ticket_id, terms_id, month, resp_sev, res_sev, resp_met, res_met, part"
)


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


def load_dir(path: Path) -> Ledger | None:
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
    found = [led for p in gen.glob("sla-*") if (led := load_dir(p)) is not None]
    return max(found, key=lambda led: (led.path / "meta.json").stat().st_mtime, default=None)


def finals(led: Ledger) -> str:
    """SQL of the ledger's valid final rows: every part's rows not voided by a later build."""
    parts = f"read_parquet({file_list(led.part_files())})"
    voids = led.voids()
    if not voids:
        return f"SELECT {FINAL_COLUMNS} FROM {parts} WHERE final"
    return (
        f"SELECT {FINAL_COLUMNS} FROM {parts} p WHERE final AND NOT EXISTS (SELECT 1 FROM "
        f"read_parquet({file_list(voids)}) v WHERE v.contract_id = p.contract_id "
        "AND v.ticket_id = p.ticket_id AND v.part = p.part)"
    )
