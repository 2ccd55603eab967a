"""Flows that cross both engines: the only package that imports both `contracts` and `sla_engine`.

Closing a credit month, breach evidence and the renewal brief live here; the engines know each other
only through the SLA terms document (`sla_engine.rulebook.terms.Terms`).
"""
