"""`python -m sla_engine`: schema, evaluate, ingest, report, credits, terms, demo."""

from __future__ import annotations

import sys

from sla_engine.cli import main

sys.exit(main())
