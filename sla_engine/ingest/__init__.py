"""Ingest: an export file in (readers, recipes and profiles, limits), validated into typed
tickets and events with every bad row quarantined by rule, routed to contracts, merged into the
store.
"""
