"""Contracts: templates, contract lifecycle, PDFs, signing (issues 3 and 4; not built yet)."""
