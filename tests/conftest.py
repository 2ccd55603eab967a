import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os
import tempfile

# calendar tables are cached on disk; tests use their own cache so they never read a stale one
os.environ.setdefault("COVENANT_CACHE", tempfile.mkdtemp(prefix="covenant-test-cache-"))
