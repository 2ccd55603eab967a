"""Browser benchmark: the Compliance page with 1M tickets in the store, measured in headless
Chromium.

Builds a store by a full ingest of bench/store.py's generated export, starts the app, logs in
as the demo support manager and times
(1) the Compliance page's first render (cold cache: the SLA ledger read, open tickets evaluated)
and (2) a filter change.
Usage: python bench/browser.py [N]   (default 1000000; prints a markdown row)
       BENCH_STORE=<store> python bench/browser.py N   (reuse a store an earlier run made)
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def make_store(n: int, root: Path) -> Path:
    """A store made as a user makes one: bench/store.py's generic export (n tickets, a status
    history for a fifth) through a full ingest, which builds the SLA ledger before it publishes."""
    from ingest import EXPORT, WRITE_EXPORT  # bench/ingest.py
    from store import fresh_store  # bench/store.py

    tickets, history = root / "tickets.csv", root / "history.csv"
    export = EXPORT.format(tickets=tickets, history=history)
    subprocess.run([sys.executable, "-c", WRITE_EXPORT, str(n), export], check=True)
    store = root / "store"
    seconds, peak = fresh_store(store, tickets, history)
    print(f"full ingest of {n:,} tickets: {seconds:.1f} s, peak RSS {peak:,.0f} MiB", flush=True)
    return store


def done(page) -> None:
    """The page's script run has ended and what it drew is on the page (Streamlit marks its root
    with the run's state): called once the run's first element is seen, so it is this run's end."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=300000
    )
    page.locator('[data-testid="stApp"]').locator(".js-plotly-plot").last.wait_for(
        state="visible", timeout=300000
    )


def main(n: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    from contracts.adapters.orm import make_engine
    from contracts.adapters.unit_of_work import UnitOfWork
    from contracts.services.users import DEMO_PASSWORD, ensure_demo_users

    root = Path(tempfile.mkdtemp(prefix="covenant-bench-"))
    # BENCH_STORE: a store made by an earlier run (the same N), to time two builds on one store
    store = Path(os.environ["BENCH_STORE"]) if "BENCH_STORE" in os.environ else make_store(n, root)
    url = f"sqlite:///{root / 'c.sqlite'}"
    os.environ["COVENANT_DEMO"] = "1"  # demo users: the one-machine demo, as `make run` sets it
    ensure_demo_users(UnitOfWork(make_engine(url)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COVENANT_STORE": str(store),
        "COVENANT_COOKIE_KEY": "bench-cookie-key-0123456789abcdef0123456789",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "serve.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.25)
    cold, first, change = [], [], []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for _run in range(3):
                page = browser.new_page(viewport={"width": 1280, "height": 1400})
                page.goto(base, wait_until="domcontentloaded")
                page.get_by_label("Username").first.fill("support")
                page.get_by_label("Password", exact=True).first.fill(DEMO_PASSWORD)
                t = time.perf_counter()
                page.get_by_role("button", name="Login", exact=True).first.click()
                expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=300000)
                expect(page.get_by_role("heading", name="Contracts")).to_be_visible(timeout=300000)
                page.wait_for_selector(
                    '[data-testid="stStatusWidget"]', state="detached", timeout=300000
                )
                cold.append(time.perf_counter() - t)
                t = time.perf_counter()
                page.get_by_role("link", name="Compliance").click()
                page.locator(".js-plotly-plot").first.wait_for(state="visible", timeout=300000)
                done(page)  # the whole page: the drill-down and the ticket's timeline too
                first.append(time.perf_counter() - t)
                t = time.perf_counter()
                page.get_by_test_id("stRadioGroup").get_by_text("Resolution", exact=True).click()
                expect(page.get_by_text("· resolution compliance")).to_be_visible(timeout=300000)
                done(page)
                change.append(time.perf_counter() - t)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(15)
    print(
        "runs:",
        [round(x, 2) for x in cold],
        [round(x, 2) for x in first],
        [round(x, 2) for x in change],
    )
    print(
        "| tickets | login → Overview, run 1 (cold cache: ledger + open tickets) | same, runs 2-3 "
        "(cached) |"
        " Compliance first render (median) | filter change (median) |"
    )
    print(
        f"| {n:,} | {cold[0]:.2f} | {statistics.median(cold[1:]):.2f} | "
        f"{statistics.median(first):.2f} |"
        f" {statistics.median(change):.2f} |"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
