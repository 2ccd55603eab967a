"""Every setting Covenant reads from the environment, in one place: its name, its default and what
it means. Code asks `config.get(NAME)` (read at each call, so a changed environment is seen); a
name not listed here is a programming error (KeyError), so this table is complete by construction
(tests/test_layers.py holds that nothing else reads os.environ). Secrets are read here and never
stored or logged."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    meaning: str


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        # where things are kept
        Setting("DATABASE_URL", None, "the contracts database (default: SQLite in data/)"),
        Setting("DATABASE_OWNER_URL", None, "the schema owner's URL: migrations run as it"),
        Setting("COVENANT_STORE", str(ROOT / "data" / "store"), "this host's store folder"),
        Setting("COVENANT_STORE_URL", None, "the store's table on S3 (s3://bucket/prefix)"),
        Setting("AWS_ENDPOINT_URL", None, "the S3-compatible endpoint of COVENANT_STORE_URL"),
        Setting("AWS_ACCESS_KEY_ID", None, "S3 access key (secret)"),
        Setting("AWS_SECRET_ACCESS_KEY", None, "S3 secret key (secret)"),
        Setting("AWS_REGION", None, "S3 region"),
        Setting("AWS_ALLOW_HTTP", None, "true: S3 over plain HTTP (a loopback test server)"),
        Setting("COVENANT_STORE_RETENTION_HOURS", None, "hours old table versions stay readable"),
        Setting("COVENANT_CACHE", None, "calendar cache folder (~/.cache/covenant/calendars)"),
        Setting("COVENANT_INGEST_MEMORY", "1GB", "DuckDB memory limit of one ingest"),
        # the demo
        Setting("COVENANT_DEMO", None, "1: the one-machine demo (demo users, outbox page)"),
        # keys, seal and trust
        Setting("COVENANT_SECRET_KEY", None, "Fernet key for stored secrets (secret)"),
        Setting("COVENANT_SEAL_P12", None, "the seal's PKCS#12 file"),
        Setting("COVENANT_SEAL_P12_PASSWORD", None, "its password (secret)"),
        Setting("COVENANT_SEAL_KEY", None, "the seal's private key (PEM file)"),
        Setting("COVENANT_SEAL_CERT", None, "the seal's certificate (PEM file)"),
        Setting("COVENANT_SEAL_CHAIN", None, "the seal's chain (PEM files, os.pathsep)"),
        Setting("COVENANT_SEAL_TRUST", None, "certificates trusted for verification"),
        Setting("COVENANT_TSA_URL", None, "an RFC 3161 time-stamping authority"),
        Setting("COVENANT_AUDIT_JOURNAL", None, "the checkpoint journal outside the database"),
        Setting("COVENANT_CHECKPOINT_HOURS", "24", "how often an audit checkpoint is signed"),
        # mail and links
        Setting("COVENANT_BASE_URL", None, "the app's public address, for links in mail"),
        Setting("COVENANT_SMTP_HOST", None, "SMTP server (unset: mail stays in the outbox)"),
        Setting("COVENANT_SMTP_PORT", None, "SMTP port (587 with STARTTLS, else 25)"),
        Setting("COVENANT_SMTP_STARTTLS", "0", "1: STARTTLS"),
        Setting("COVENANT_SMTP_USER", None, "SMTP user"),
        Setting("COVENANT_SMTP_PASSWORD", None, "SMTP password (secret)"),
        Setting("COVENANT_MAIL_FROM", "covenant@localhost", "the sender address"),
        Setting("COVENANT_SMS_SENDER", None, "one-time codes by SMS: the sender's spec"),
        Setting("COVENANT_WEBHOOK_ALLOW_PRIVATE", None, "1: webhooks to private addresses"),
        # the worker
        Setting("COVENANT_REPORT_DAY", "3", "day of the month the closed month's reports go out"),
        Setting("COVENANT_BACKUP_DIR", None, "the worker's daily backups (unset: none)"),
        Setting("COVENANT_BACKUP_KEEP", "7", "how many of them are kept"),
        # sign-in
        Setting("COVENANT_TRUSTED_PROXIES", None, "proxies whose forwarded address is believed"),
        Setting("COVENANT_SSO_RECHECK_SECONDS", None, "how often the provider is asked again"),
        Setting("COVENANT_SSO_LABEL", "your organisation's sign-in", "the sign-on button's name"),
        Setting("COVENANT_NEW_PASSWORD", None, "add-user's password without a prompt (secret)"),
        # internal: the worker hands its database to the process running its heavy jobs
        Setting("COVENANT_JOB_DATABASE_URL", None, "set by the worker for its job process"),
    )
}


def get(name: str) -> str | None:
    """The setting's value, or its default when it is unset or empty."""
    value = os.environ.get(SETTINGS[name].name)
    return value if value else SETTINGS[name].default


def value(name: str) -> str:
    """A setting that has a default: its value, never None."""
    got = get(name)
    if got is None:
        raise KeyError(f"{name} has no default: read it with config.get")
    return got
