"""Start the app with `streamlit run` on a free loopback port for browser tests, and stop it."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from contracts.adapters.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# README screenshots are refreshed with COVENANT_SCREENSHOTS=1; otherwise they go to a temporary
# folder
SHOTS = (
    ROOT / "docs"
    if os.environ.get("COVENANT_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="shots-"))
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(env: dict[str, str], port: int, args: tuple[str, ...] = ()) -> Iterator[str]:
    """The app's base URL while it runs (bound to 127.0.0.1; stopped with SIGTERM afterwards).

    Its output goes to a log file, not a pipe: a pipe nobody reads fills up and blocks the server
    mid-run.
    """
    log = tempfile.NamedTemporaryFile(prefix=f"streamlit-{port}-", suffix=".log", delete=False)
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
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
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
            pytest.fail(
                "streamlit did not start: " + Path(log.name).read_text(errors="replace")[-2000:]
            )
        yield base
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
        print(f"streamlit log: {log.name}")


_WORLD: list[Path] = []  # this process's demo world, built once (6-7 s) and copied per module


def demo_world(root: Path) -> dict[str, str]:
    """The embedded demo store, a SQLite database with the starters, one draft contract and the
    demo users, in `root` (a copy of the one this process built first: a module's app changes
    only its own copy); returns the environment the app runs with (no secrets from the machine,
    its own calendar cache)."""
    if not _WORLD:
        first = Path(tempfile.mkdtemp(prefix="covenant-demo-world-"))
        atexit.register(shutil.rmtree, first, ignore_errors=True)
        _build_demo_world(first)
        _WORLD.append(first)
    shutil.copytree(_WORLD[0], root, symlinks=True, dirs_exist_ok=True)
    return _world_env(root)


def _build_demo_world(root: Path) -> None:
    from contracts_fixtures import example

    from contracts.adapters.orm import make_engine
    from contracts.adapters.seal import ensure_local_ca
    from contracts.services import contracts as contract_service
    from contracts.services.users import ensure_demo_users
    from flows.demo import build as build_demo

    url = f"sqlite:///{root / 'c.sqlite'}"
    eng = make_engine(url)
    seal = ensure_local_ca(root / "secrets")
    seal_env = {
        "COVENANT_SEAL_KEY": str(seal["seal-key"]),
        "COVENANT_SEAL_CERT": str(seal["seal-cert"]),
        "COVENANT_SEAL_CHAIN": str(seal["root-cert"]),
    }
    assert seal_env == _seal_env(root), "the seal's files moved: update _seal_env"
    saved = {k: os.environ.get(k) for k in [*seal_env, "COVENANT_CACHE"]}
    os.environ.update(seal_env, COVENANT_CACHE=str(root / "cache"))
    try:  # the embedded default: contracts signed through the workflow, sealed, measured
        build_demo(eng, root / "store")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    contract_service.create_contract(UnitOfWork(eng), "saas-support", example("saas-support"))
    os.environ["COVENANT_DEMO"] = "1"  # the one-machine demo, as make run sets it
    try:
        ensure_demo_users(UnitOfWork(eng))
    finally:
        del os.environ["COVENANT_DEMO"]
    eng.dispose()


def _seal_env(root: Path) -> dict[str, str]:
    return {
        "COVENANT_SEAL_KEY": str(root / "secrets" / "seal-key.pem"),
        "COVENANT_SEAL_CERT": str(root / "secrets" / "seal-cert.pem"),
        "COVENANT_SEAL_CHAIN": str(root / "secrets" / "root-cert.pem"),
    }


def _world_env(root: Path) -> dict[str, str]:
    url = f"sqlite:///{root / 'c.sqlite'}"
    return {
        "COVENANT_DEMO": "1",
        **_seal_env(root),
        "PATH": "/usr/bin:/bin",
        "HOME": str(root),
        "DATABASE_URL": url,
        "COVENANT_STORE": str(root / "store"),
        "COVENANT_COOKIE_KEY": "e2e-cookie-key-0123456789abcdef0123456789",
        "COVENANT_CACHE": str(root / "cache"),
    }


@pytest.fixture
def browser():
    """Debian's chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def settled(page, timeout: int = 120_000) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)


def login(page, base: str, user: str) -> None:
    """Sign in as a demo user and wait for the first page to settle."""
    from playwright.sync_api import expect

    from contracts.services.users import DEMO_PASSWORD

    page.goto(base, wait_until="domcontentloaded")
    page.get_by_label("Username").first.wait_for(timeout=60000)
    settled(page)
    page.get_by_label("Username").first.fill(user)
    page.get_by_label("Password", exact=True).first.fill(DEMO_PASSWORD)
    # while a rerun is in flight Streamlit may briefly show the previous form too: take the live one
    page.get_by_role("button", name="Login", exact=True).first.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=60000)
    settled(page)
    # the session cookie is set by a request the page makes after sign-in: a test that opens
    # another address right away must wait for it, as a person's next click always does
    from ui.session_route import COOKIE

    for _ in range(300):  # bounded: 30 s
        if any(c["name"] == COOKIE and c["value"] for c in page.context.cookies()):
            break
        page.wait_for_timeout(100)
