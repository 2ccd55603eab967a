"""Start the app with `streamlit run` on a free loopback port for browser tests, and stop it."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(env: dict[str, str], port: int) -> Iterator[str]:
    """The app's base URL while it runs (bound to 127.0.0.1; stopped with SIGTERM afterwards)."""
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        else:
            proc.kill()
            pytest.fail("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
        yield base
    finally:
        proc.terminate()
        proc.wait(15)


def demo_world(root: Path) -> dict[str, str]:
    """The embedded demo store, a SQLite database with the starters, one draft contract and the demo users;
    returns the environment the app runs with (no secrets from the machine, its own calendar cache)."""
    from contracts import services
    from contracts.db import make_engine
    from contracts.users import ensure_demo_users
    from contracts_fixtures import example
    from sla_engine.demo import build_demo

    build_demo(root / "store")
    url = f"sqlite:///{root / 'c.sqlite'}"
    eng = make_engine(url)
    services.install_starters(eng)
    services.create_contract(eng, "saas-support", example("saas-support"))
    ensure_demo_users(eng)
    return {"PATH": "/usr/bin:/bin", "HOME": str(root), "DATABASE_URL": url, "COVENANT_STORE": str(root / "store"),
            "COVENANT_COOKIE_KEY": "e2e-cookie-key-0123456789abcdef0123456789", "COVENANT_CACHE": str(root / "cache")}
