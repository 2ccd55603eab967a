"""`python -m contracts`: templates, contracts, PDFs, SLA terms."""
from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
