"""The SLA ledger: per-ticket results kept beside each store version, so reports read judged rows
instead of judging again; built in chunks under a memory limit.
"""
