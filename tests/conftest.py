import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os
import tempfile

# calendar tables are cached on disk; tests use their own cache so they never read a stale one
os.environ.setdefault("COVENANT_CACHE", tempfile.mkdtemp(prefix="covenant-test-cache-"))

# the database fixture (SQLite, and PostgreSQL where a server answers) for every test that asks for
# it
from contracts_fixtures import engine as engine  # noqa: E402
from signing_fixtures import contract as contract  # noqa: E402
from signing_fixtures import seal_ca as seal_ca  # noqa: E402
from signing_fixtures import seal_env as seal_env  # noqa: E402
from signing_fixtures import tsa as tsa  # noqa: E402
from smtp_fixture import smtp as smtp  # noqa: E402
from streamlit_server import browser as browser  # noqa: E402
