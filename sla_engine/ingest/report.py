"""What an ingest tells its caller: the phases it goes through (for a progress bar) and its report,
in which every input row is loaded, updated, unchanged or quarantined (the sums must match)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from sla_engine.errors import IngestError
from sla_engine.ingest.validate import Valid

Progress = Callable[[str, float], None]
# each phase with the share of an ingest's time spent before it starts (measured at 1M tickets);
# "waiting" (another writer committed first: this batch merges again onto its version) is told
# only when it happens
PHASES = {"read": 0.0, "validate": 0.12, "waiting": 0.45, "merge": 0.45, "ledger": 0.82}


@dataclass
class IngestReport:
    file: str
    profile: str
    batch_id: int
    input_rows: int
    loaded_rows: int = 0
    updated_rows: int = 0
    unchanged_rows: int = 0
    quarantined_rows: int = 0
    tickets_loaded: int = 0
    tickets_updated: int = 0
    tickets_unchanged: int = 0
    history_rows: int = 0
    history_quarantined: int = 0
    noop_of: int | None = None
    reasons: dict[str, int] = field(default_factory=dict)  # quarantined rows per rule
    reason_examples: dict[str, str] = field(default_factory=dict)  # rule -> one row's reason
    notes: list[str] = field(default_factory=list)

    @property
    def adds_up(self) -> bool:
        return (
            self.loaded_rows + self.updated_rows + self.unchanged_rows + self.quarantined_rows
            == self.input_rows
        )

    def text(self) -> str:
        if self.noop_of is not None:
            return (
                f"{self.file}: already ingested as batch {self.noop_of} (same bytes, profile and "
                f"options);"
                f" nothing changed ({self.input_rows} rows unchanged)"
            )
        lines = [
            f"ingest report: {self.file} (profile {self.profile}, batch {self.batch_id})",
            f"  rows: {self.input_rows} in = {self.loaded_rows} loaded + {self.updated_rows} "
            f"updated"
            f" + {self.unchanged_rows} unchanged + {self.quarantined_rows} quarantined"
            + ("" if self.adds_up else "  (DOES NOT ADD UP)"),
            f"  distinct tickets: {self.tickets_loaded} loaded, {self.tickets_updated} updated,"
            f" {self.tickets_unchanged} unchanged",
        ]
        if self.history_rows:
            lines.append(
                f"  history rows: {self.history_rows} in, {self.history_quarantined} quarantined"
            )
        for rule, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])[:10]:
            example = self.reason_examples.get(rule, "")
            said = f" (e.g. {example})" if example and example != rule else ""
            lines.append(f"  quarantined {n:>7} x {rule}{said}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def already(prev: pd.DataFrame, fingerprint: str) -> tuple[int, int] | None:
    """(batch_id, input_rows) of an earlier ingest of exactly this file and options."""
    if len(prev) == 0:
        return None
    hit = prev[prev["fingerprint"] == fingerprint]
    return (int(hit["batch_id"].iloc[0]), int(hit["input_rows"].iloc[0])) if len(hit) else None


def account(
    valid: Valid,
    counts: dict[str | None, int],
    tcounts: dict[str, int],
    file: str,
    profile: str,
    batch_id: int,
    hist_rows: int,
    notes: list[str],
) -> IngestReport:
    """Every input row is loaded, updated, unchanged or quarantined; the sums must match."""
    main_q = valid.quarantine[valid.quarantine["file"] == file]
    hist_q = valid.quarantine[valid.quarantine["file"] != file]
    rep = IngestReport(
        file=file,
        profile=profile,
        batch_id=batch_id,
        input_rows=valid.input_rows,
        loaded_rows=int(counts.get("loaded", 0)),
        updated_rows=int(counts.get("updated", 0)),
        unchanged_rows=int(counts.get("unchanged", 0)),
        quarantined_rows=int(main_q["row"].nunique()),
        tickets_loaded=int(tcounts.get("loaded", 0)),
        tickets_updated=int(tcounts.get("updated", 0)),
        tickets_unchanged=int(tcounts.get("unchanged", 0)),
        history_rows=hist_rows,
        history_quarantined=int(hist_q["row"].nunique()),
        notes=list(notes),
    )
    q = valid.quarantine
    rep.reasons = q["rule"].value_counts().to_dict()  # by rule: data, never the sentence
    rep.reason_examples = q.drop_duplicates("rule").set_index("rule")["reason"].to_dict()
    if not rep.adds_up:
        raise IngestError(f"{file}: internal accounting error: {rep.text()}")
    return rep
