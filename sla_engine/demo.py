"""The embedded demo: three contracts in three zones, two years of tickets with status history.

Deterministic (fixed seed, fixed dates), written as a generic export plus a
history file and loaded through the real ingest path, so the demo exercises
exactly what users run.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import load_terms
from sla_engine.store.core import Store

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
START = date(2024, 11, 1)
END = date(2026, 10, 31)
SEED = 20241101

# contract -> (zone, tickets per day, tiers with (share, response mean min, resolution mean min))
PROFILE = {
    "ACME-SAAS": (
        "America/New_York",
        9.0,
        {
            "P1": (0.05, 7, 80),
            "P2": (0.2, 90, 700),
            "P3": (0.45, 300, 2000),
            "P4": (0.3, 600, 4000),
        },
    ),
    "GLOBEX-EU": (
        "Europe/Berlin",
        6.0,
        {"P1": (0.08, 4, 60), "P2": (0.3, 20, 400), "P3": (0.62, 200, 1500)},
    ),
    "INITECH-APAC": (
        "Australia/Sydney",
        4.0,
        {"Sev1": (0.1, 25, 400), "Sev2": (0.4, 100, 900), "Sev3": (0.5, 300, 2500)},
    ),
}


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def generate(out_dir: Path) -> tuple[Path, Path]:
    """Write tickets.csv and history.csv (generic profile) into out_dir."""
    rng = np.random.default_rng(SEED)
    out_dir.mkdir(parents=True, exist_ok=True)
    tickets_path, history_path = out_dir / "tickets.csv", out_dir / "history.csv"
    with open(tickets_path, "w", newline="") as tf, open(history_path, "w", newline="") as hf:
        tw, hw = csv.writer(tf), csv.writer(hf)
        tw.writerow(
            [
                "ticket_id",
                "contract_id",
                "severity",
                "created_at",
                "first_response_at",
                "resolved_at",
            ]
        )
        hw.writerow(["ticket_id", "changed_at", "field", "value"])
        for cid, (zone, per_day, tiers) in PROFILE.items():
            tz = ZoneInfo(zone)
            names = list(tiers)
            shares = np.array([tiers[n][0] for n in names])
            day = START
            n = 0
            # a bad quarter in the middle of the term so that credits show up
            while day <= END:
                weekday = day.weekday() < 5
                count = rng.poisson(per_day if weekday else per_day * 0.2)
                slow = (
                    2.2
                    if date(2025, 6, 1) <= day <= date(2025, 8, 31) and cid != "GLOBEX-EU"
                    else 1.0
                )
                for _ in range(count):
                    n += 1
                    tid = f"{cid.split('-')[0][:3]}-{n:06d}"
                    sev = names[int(rng.choice(len(names), p=shares / shares.sum()))]
                    _share, resp_mean, res_mean = tiers[sev]
                    local = datetime.combine(day, datetime.min.time()) + timedelta(
                        minutes=int(rng.normal(13 * 60, 3 * 60)) % (24 * 60)
                    )
                    created = local.replace(tzinfo=tz).astimezone(UTC)
                    resp = created + timedelta(minutes=float(rng.exponential(resp_mean * slow)))
                    res = resp + timedelta(minutes=float(rng.exponential(res_mean * slow)))
                    still_open = res.date() > END
                    history = rng.random() < 0.3
                    if history:
                        events = [(created, "status", "new"), (resp, "status", "open")]
                        t = resp
                        if rng.random() < 0.5:  # waiting on the customer
                            p0 = t + (res - t) * 0.3
                            p1 = p0 + timedelta(minutes=float(rng.exponential(600)))
                            events += [(p0, "status", "pending"), (p1, "status", "open")]
                            res = max(res, p1 + timedelta(minutes=30))
                        events.append((res, "status", "solved"))
                        if rng.random() < 0.1:  # reopened by the customer
                            r0 = res + timedelta(hours=float(rng.exponential(24)))
                            res = r0 + timedelta(minutes=float(rng.exponential(res_mean / 3)))
                            events += [(r0, "status", "open"), (res, "status", "solved")]
                        if rng.random() < 0.1 and len(names) > 1:  # severity changed once
                            other = names[(names.index(sev) + 1) % len(names)]
                            change = created + (resp - created) * 0.5
                            events = [
                                (created, "severity", other),
                                (change, "severity", sev),
                            ] + events
                        for when, field, value in events:
                            if when.date() <= END:
                                hw.writerow([tid, _iso(when), field, value])
                    tw.writerow(
                        [
                            tid,
                            cid,
                            sev,
                            _iso(created),
                            _iso(resp) if resp.date() <= END else "",
                            "" if still_open else _iso(res),
                        ]
                    )
                day += timedelta(days=1)
    return tickets_path, history_path


def build_demo(store_root: Path, if_absent: bool = False, register_terms: bool = True) -> str:
    """Register the demo terms and ingest the generated export (a no-op when data is there).

    `register_terms=False` when the terms come from contracts signed in Covenant (flows/demo.py).
    """
    store = Store(store_root)
    if if_absent and store.current() is not None:
        return f"store {store_root} already has data; demo not rebuilt"
    if register_terms:
        for f in sorted((DEMO_DIR / "terms").glob("*.json")):
            store.add_terms(load_terms(f))
    tickets, history = generate(store_root.parent / "demo-export")
    rep = ingest(store, tickets, "generic", history=history)
    return "demo data ready\n" + rep.text()
