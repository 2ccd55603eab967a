"""Database tables (SQLAlchemy 2.x typed models) and the engine factory.

SQLite file under data/ by default; PostgreSQL (psycopg 3) when DATABASE_URL says so. The schema is
owned by Alembic (contracts/migrations) and upgraded when the engine is created.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import config

DEFAULT_SQLITE = Path(__file__).resolve().parents[2] / "data" / "covenant.sqlite"


class Base(DeclarativeBase):
    pass


class TemplateRow(Base):
    __tablename__ = "templates"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TemplateVersionRow(Base):
    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_name", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    template_name: Mapped[str] = mapped_column(ForeignKey("templates.name"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    requires: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    schema_sha256: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ContractRow(Base):
    __tablename__ = "contracts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    template_name: Mapped[str] = mapped_column(ForeignKey("templates.name"))
    template_version: Mapped[int] = mapped_column(Integer)
    template_text_sha256: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(30), index=True)
    supersedes: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": row_version}


class AuditRow(Base):
    """One audit entry; hash-chained to the one before (see contracts/audit.py)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC text: hashed exactly as stored
    actor: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    payload: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EnvelopeRow(Base):
    __tablename__ = "envelopes"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    document_sha256: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(200))
    auth_method: Mapped[str] = mapped_column(String(20))
    reminder_hours: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cc: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    final_sha256: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": row_version}


class SignerRow(Base):
    __tablename__ = "envelope_signers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("envelopes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict] = mapped_column(JSON)  # the Signer dataclass, minus token hashes


class TokenRow(Base):
    """Link tokens, stored only as SHA-256; the lookup key for the signing page."""

    __tablename__ = "signer_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    signer_id: Mapped[str] = mapped_column(ForeignKey("envelope_signers.id"), index=True)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("envelopes.id"), index=True)


class DocumentRow(Base):
    """Stored files: the sent original, the sealed final PDF."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("envelopes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OutboxRow(Base):
    """Mail to send: written in the same transaction as the change, delivered (and retried)
    later."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON)  # document ids
    envelope_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class LegalHoldRow(Base):
    __tablename__ = "legal_holds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(200))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserRow(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ClosedMonthRow(Base):
    __tablename__ = "closed_months"
    __table_args__ = (UniqueConstraint("contract_id", "month"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))
    figures: Mapped[dict] = mapped_column(JSON)
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SettingRow(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditCheckpointRow(Base):
    """The chain's head at a moment, signed with the seal key (see adapters/audit_anchor.py)."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(Text)  # base64
    certificate: Mapped[str] = mapped_column(Text)  # PEM of the seal certificate
    tsa_token: Mapped[str | None] = mapped_column(Text)  # base64 RFC 3161 token, if a TSA is set
    number: Mapped[int | None] = mapped_column(Integer, unique=True)  # 1, 2, 3 ... (0011)
    prev_digest: Mapped[str | None] = mapped_column(String(64))  # the checkpoint before's digest


class AlertRuleRow(Base):
    """When to warn before a breach, and whom (contracts/services/alert_rules.py)."""

    __tablename__ = "alert_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    contract_id: Mapped[str | None] = mapped_column(String(100))  # None: every contract
    tiers: Mapped[list] = mapped_column(JSON)  # empty: every tier
    metrics: Mapped[list] = mapped_column(JSON)  # response, resolution
    thresholds: Mapped[list] = mapped_column(JSON)  # "75%", "60m", "breach"
    emails: Mapped[list] = mapped_column(JSON)
    webhook_kind: Mapped[str | None] = mapped_column(String(20))  # standard, slack, teams
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(Text)  # encrypted (adapters/secret_box.py)
    ticket_url: Mapped[str | None] = mapped_column(String(2000))  # the help desk's, with {ticket}
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # webhook failures in a row
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertSentRow(Base):
    """Every alert sent: one per rule, ticket, metric, tier and threshold, whoever sends it."""

    __tablename__ = "alerts_sent"
    __table_args__ = (
        UniqueConstraint("rule_id", "contract_id", "ticket_id", "metric", "tier", "threshold"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(Integer, index=True)
    contract_id: Mapped[str] = mapped_column(String(100))
    ticket_id: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    webhook_status: Mapped[str | None] = mapped_column(String(40))  # delivered, dead: why
    payload: Mapped[dict] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(200), default="sent")  # or "suppressed: why"


class ConnectionRow(Base):
    """A help desk Covenant pulls tickets from (contracts/services/connections.py)."""

    __tablename__ = "connections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    vendor: Mapped[str] = mapped_column(String(20))  # services/connections.py VENDORS
    base_url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(Text)  # encrypted (adapters/secret_box.py)
    contract_id: Mapped[str | None] = mapped_column(String(100))  # None: customer keys route
    every_s: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the backfill's start
    cursor: Mapped[dict] = mapped_column(JSON)  # the vendor's cursor and the high-water mark
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NoticeSentRow(Base):
    """A scheduled notice sent once (flows/schedule.py): kind + key is unique."""

    __tablename__ = "notices_sent"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[list] = mapped_column(JSON)


class MailFileRow(Base):
    """A file a scheduled mail attaches (a report), apart from the signed documents."""

    __tablename__ = "mail_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContractRoutingRow(Base):
    """Operational settings of a contract: customer keys and priority labels (not signed text)."""

    __tablename__ = "contract_routing"
    contract_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    customer_keys: Mapped[list] = mapped_column(JSON)
    severity_map: Mapped[dict] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginThrottleRow(Base):
    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionRow(Base):
    __tablename__ = "user_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))


def demo_mode(url: str | None = None) -> bool:
    """The one-machine demo: COVENANT_DEMO=1 (make run sets it) on an embedded SQLite database.
    Never on a database server: demo users with a published password must not reach one."""
    return config.get("COVENANT_DEMO") == "1" and (url or database_url()).startswith("sqlite")


def database_url() -> str:
    """DATABASE_URL, with postgresql:// meaning psycopg 3; default a SQLite file in data/."""
    url = config.get("DATABASE_URL")
    if not url:
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_SQLITE}"
    return _psycopg(url)


def make_engine(
    url: str | None = None, migrate: bool = True, owner_url: str | None = None, **kwargs
) -> Engine:
    """Engine for the URL (default: database_url()), schema upgraded to the latest migration.

    On PostgreSQL with an owner URL (argument or DATABASE_OWNER_URL), the migration runs as that
    owner and the URL's role gets only the application's grants (db_roles.py)."""
    url = url or database_url()
    engine = create_engine(url, future=True, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _rec):  # noqa: ANN001 - DB-API objects
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.close()
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN below

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            # take the write lock at the start: two transactions that read then write (two signers
            # at once)
            # queue up instead of one failing on a stale snapshot
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    if not migrate:
        return engine
    owner_url = owner_url or config.get("DATABASE_OWNER_URL")
    if owner_url and engine.dialect.name == "postgresql":
        from contracts.adapters.db_roles import grant_app_role

        owner = create_engine(_psycopg(owner_url), future=True, **kwargs)
        try:
            upgrade(owner)
            with owner.begin() as conn:
                grant_app_role(conn, str(engine.url.username))
        finally:
            owner.dispose()
    else:
        upgrade(engine)
    return engine


def _psycopg(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def upgrade(engine: Engine) -> None:
    """Apply Alembic migrations up to head on this engine."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
