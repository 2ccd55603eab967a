"""`python -m contracts`: templates, contracts, PDFs, SLA terms."""

from __future__ import annotations

import sys

from contracts.cli import main

sys.exit(main())
