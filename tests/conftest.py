import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os
import tempfile

# calendar tables are cached on disk; tests use their own cache so they never read a stale one
os.environ.setdefault("COVENANT_CACHE", tempfile.mkdtemp(prefix="covenant-test-cache-"))
# the key that encrypts stored secrets (webhook secrets): the run's own, never a file in data/
os.environ.setdefault("COVENANT_SECRET_KEY", "q3m0w2Jm2c4Jvu6r3mQ9o1bW5t2c0m8h7a6s5d4f3g0=")

# the database fixture (SQLite, and PostgreSQL where a server answers) for every test that asks for
# it
import pg_cluster  # noqa: E402
from contracts_fixtures import engine as engine  # noqa: E402
from s3_fixture import s3_endpoint as s3_endpoint  # noqa: E402
from s3_fixture import s3_store_url as s3_store_url  # noqa: E402
from signing_fixtures import contract as contract  # noqa: E402
from signing_fixtures import seal_ca as seal_ca  # noqa: E402
from signing_fixtures import seal_env as seal_env  # noqa: E402
from signing_fixtures import tsa as tsa  # noqa: E402
from smtp_fixture import smtp as smtp  # noqa: E402
from streamlit_server import browser as browser  # noqa: E402

_CLUSTER: pg_cluster.Cluster | None = None


def pytest_configure(config):  # noqa: ANN001 - pytest's hook
    """Start the run's own PostgreSQL cluster (tests/pg_cluster.py) before any test is collected;
    where it cannot start, the PostgreSQL tests skip with the reason."""
    global _CLUSTER
    if os.environ.get("COVENANT_TEST_PG_PORT") or os.environ.get("COVENANT_TEST_PG_SKIP"):
        return  # a worker process of this run: the cluster is the parent's
    started = pg_cluster.start()
    if isinstance(started, str):
        os.environ["COVENANT_TEST_PG_SKIP"] = started
        return
    _CLUSTER = started
    os.environ["COVENANT_TEST_PG_PORT"] = str(started.port)


def pytest_unconfigure(config):  # noqa: ANN001
    if _CLUSTER is not None:
        pg_cluster.stop(_CLUSTER)


def pytest_report_header(config):  # noqa: ANN001
    if _CLUSTER is not None:
        return f"PostgreSQL: a throwaway cluster on 127.0.0.1:{_CLUSTER.port} ({_CLUSTER.folder})"
    return f"PostgreSQL: none ({os.environ.get('COVENANT_TEST_PG_SKIP')}); its tests skip"


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _audit_journal(tmp_path, monkeypatch):
    """Each test's deployment keeps its own checkpoint journal (never the checkout's data/)."""
    monkeypatch.setenv("COVENANT_AUDIT_JOURNAL", str(tmp_path / "audit-checkpoints.jsonl"))
