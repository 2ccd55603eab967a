"""Deterministic benchmark data: N tickets over six contracts in six zones, a fifth with status
history.

Writes the store's derived relations (tickets, status_log, severity_log) as Parquet, plus
terms.json.
Usage: python bench/generate.py N OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MIN = 60_000_000
START = 1_704_067_200_000_000  # 2024-01-01T00:00Z
SPAN = 730 * 24 * 60 * MIN  # two years
CONTRACTS = [
    (
        "NYC",
        "America/New_York",
        "US",
        None,
        {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    ),
    (
        "BER",
        "Europe/Berlin",
        "DE",
        "BY",
        {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    ),
    (
        "SYD",
        "Australia/Sydney",
        "AU",
        "NSW",
        {
            d: [["08:30", "12:00"], ["13:00", "17:30"]]
            for d in ("mon", "tue", "wed", "thu", "fri", "sat")
        },
    ),
    (
        "BLR",
        "Asia/Kolkata",
        "IN",
        None,
        {d: [["09:30", "18:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    ),
    (
        "SAO",
        "America/Sao_Paulo",
        "BR",
        None,
        {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    ),
    (
        "247",
        "Europe/London",
        "GB",
        None,
        {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    ),
]
TIERS = ["P1", "P2", "P3", "P4"]


def terms() -> list[dict]:
    out = []
    for cid, zone, country, subdiv, week in CONTRACTS:
        out.append(
            {
                "contract_id": cid,
                "effective_from": "2023-12-01",
                "calendar": {
                    "timezone": zone,
                    "week": week,
                    "holidays": {"country": country, "subdivision": subdiv, "observed": True},
                },
                "tiers": {
                    "P1": {
                        "response_minutes": 30,
                        "resolution_minutes": 240,
                        "clock": "calendar",
                        "target_pct": 95,
                    },
                    "P2": {
                        "response_minutes": 120,
                        "resolution_minutes": 960,
                        "clock": "business",
                        "target_pct": 95,
                    },
                    "P3": {
                        "response_minutes": 480,
                        "resolution_minutes": 2880,
                        "clock": "business",
                        "target_pct": 90,
                    },
                    "P4": {
                        "response_minutes": 960,
                        "resolution_minutes": 4800,
                        "clock": "business",
                        "target_pct": 90,
                    },
                },
                "pause_statuses": ["pending", "on-hold"],
                "resolved_statuses": ["solved", "closed"],
                "monthly_fee": 10000,
                "credits": {
                    "kind": "bands",
                    "bands": [{"below_pct": 95, "credit_pct": 5}],
                    "cap_pct": 20,
                    "min_tickets": 5,
                },
            }
        )
    return out


def main(n: int, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    tid = np.arange(1, n + 1, dtype=np.int64)
    contract = rng.integers(0, len(CONTRACTS), n)
    sev = rng.choice(4, n, p=[0.05, 0.2, 0.45, 0.3])
    created = START + (rng.random(n) * SPAN).astype(np.int64) // MIN * MIN
    fr = created + (rng.exponential(90, n) * MIN).astype(np.int64)
    res = fr + (rng.exponential(900, n) * MIN).astype(np.int64)
    open_ = rng.random(n) < 0.03
    hist = rng.random(n) < 0.2
    sevchg = hist & (rng.random(n) < 0.1)
    ids = pc.binary_join_element_wise("T", pc.cast(pa.array(tid), pa.string()), "")
    cids = np.array([c[0] for c in CONTRACTS])[contract]
    pq.write_table(
        pa.table(
            {
                "tid": tid,
                "ticket_id": ids,
                "contract_id": cids,
                "severity": np.array(TIERS)[sev],
                "created_us": created,
                "first_response_us": pa.array(fr, mask=open_ & (rng.random(n) < 0.5)),
                "resolved_us": pa.array(res, mask=open_),
                "has_history": hist,
            }
        ),
        out / "tickets.parquet",
        row_group_size=122_880,
    )
    # history: new -> open (at first response) -> pending -> open -> solved (or still open)
    h = np.flatnonzero(hist)
    p0 = fr[h] + ((res[h] - fr[h]) * 0.3).astype(np.int64)
    p1 = p0 + (rng.exponential(300, len(h)) * MIN).astype(np.int64)
    solved = np.maximum(res[h], p1 + 30 * MIN)
    starts = np.stack([created[h], fr[h], p0, p1, solved], axis=1)
    statuses = np.array(["new", "open", "pending", "open", "solved"])
    keep = np.ones_like(starts, dtype=bool)
    keep[:, 4] = ~open_[h]
    ends = np.concatenate([starts[:, 1:], np.zeros((len(h), 1), dtype=np.int64)], axis=1)
    end_mask = np.zeros_like(starts, dtype=bool)
    end_mask[:, 4] = True
    end_mask[:, 3] = open_[h]
    pq.write_table(
        pa.table(
            {
                "tid": np.repeat(tid[h], 5)[keep.ravel()],
                "status": np.tile(statuses, len(h))[keep.ravel()],
                "start_us": starts.ravel()[keep.ravel()],
                "end_us": pa.array(ends.ravel(), mask=end_mask.ravel()).filter(
                    pa.array(keep.ravel())
                ),
            }
        ),
        out / "status_log.parquet",
        row_group_size=122_880,
    )
    s = np.flatnonzero(sevchg)
    first = np.minimum(sev[s] + 1, 3)
    pq.write_table(
        pa.table(
            {
                "tid": np.repeat(tid[s], 2),
                "start_us": np.stack(
                    [created[s], created[s] + (fr[s] - created[s]) // 2], axis=1
                ).ravel(),
                "severity": np.stack(
                    [np.array(TIERS)[first], np.array(TIERS)[sev[s]]], axis=1
                ).ravel(),
            }
        ),
        out / "severity_log.parquet",
    )
    (out / "terms.json").write_text(json.dumps(terms(), indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
