"""The worker: what keeps Covenant running by itself, beside the app (`make run` starts both;
`python -m flows worker`). Each job runs on its own cadence; a job that fails is logged with its
reason and tried again at its next turn, never stopping the others. Any number of workers may run
on one database and store: every job is idempotent (alerts and notices are unique rows, mail is
sent from the outbox under a row lock, reminders and checkpoints check what is due).

| job | every | what |
|---|---|---|
| sync | 1 min | flows/connectors/sync.py: every help-desk connection whose turn has come |
| alerts | 1 min | flows/alerts.py: warnings before a breach |
| mail | 1 min | the outbox over SMTP (when configured) |
| reminders | 5 min | signing reminders and expiry (contracts/services/signing.py) |
| completions | 5 min | envelopes fully signed but never sealed: sealed and measured (measure.py) |
| checkpoint | 1 h | an audit checkpoint when one is due (contracts/adapters/audit_anchor.py) |
| notices | 1 h | notice reminders, monthly reports, the at-risk digest (flows/schedule.py) |
| store | 1 h | the store's table compacted, checkpointed, vacuumed (sla_engine/store/maintain.py) |
| backup | 24 h | an archive in COVENANT_BACKUP_DIR, read back, the last KEEP kept (backup.py) |

The two heavy jobs (store, backup) run in a process of their own (`in_own_process`), so the
worker's memory does not keep what they needed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

import config
from contracts.adapters import audit_anchor
from contracts.adapters.mailer import SmtpConfig, deliver
from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import ContractsError
from contracts.services.signing import remind_due
from flows import alerts, schedule
from flows.backup import scheduled_backup
from flows.errors import FlowError
from flows.measure import finish_stalled
from sla_engine.errors import SlaEngineError
from sla_engine.reports.analysis import now_us
from sla_engine.store.core import Store
from sla_engine.store.maintain import maintain

log = logging.getLogger("covenant.worker")
EXPECTED = (ContractsError, SlaEngineError, FlowError, OSError)


@dataclass
class Job:
    name: str
    every_s: float
    run: Callable[[], str]
    next_at: float = 0.0
    last: str = field(default="not run yet")


def jobs(store: Store, engine_factory: Callable) -> list[Job]:
    def uow() -> UnitOfWork:
        return UnitOfWork(engine_factory())

    def run_sync() -> str:
        from flows.connectors.sync import sync_due

        done = sync_due(store, uow)
        return "; ".join(r.text() for r in done) if done else "no connection due"

    def run_alerts() -> str:
        r = alerts.tick(store, uow(), now_us())
        return f"{r.alerts} alert(s), {len(r.dead_letters)} dead letter(s)"

    def run_mail() -> str:
        if SmtpConfig.from_env() is None:
            return "no SMTP configured: mail waits in the outbox"
        sent, failed = deliver(engine_factory())
        return f"{sent} sent, {failed} failed"

    def run_reminders() -> str:
        return f"{remind_due(uow())} reminder(s)"

    def run_checkpoint() -> str:
        cp = audit_anchor.checkpoint_if_due(uow())
        return f"checkpoint #{cp['number']}" if cp else "none due"

    def run_notices() -> str:
        sent = schedule.due_notices(store, uow())
        return f"{len(sent.notices)} notice(s)"

    def run_completions() -> str:
        done = finish_stalled(store, uow())
        return f"{len(done)} stalled completion(s) sealed" if done else "none stalled"

    def run_backup() -> str:
        if not config.get("COVENANT_BACKUP_DIR"):
            return "no COVENANT_BACKUP_DIR: scheduled backups are off"
        return in_own_process("backup", store, engine_factory)

    def run_store() -> str:
        return in_own_process("store", store, engine_factory)

    return [
        Job("sync", 60, run_sync),
        Job("alerts", 60, run_alerts),
        Job("mail", 60, run_mail),
        Job("reminders", 300, run_reminders),
        Job("completions", 300, run_completions),
        Job("checkpoint", 3600, run_checkpoint),
        Job("notices", 3600, run_notices),
        Job("store", 3600, run_store),
        Job("backup", 24 * 3600, run_backup),
    ]


def _backup_job(store: Store, engine: Engine) -> str:
    keep = int(config.get("COVENANT_BACKUP_KEEP") or 7)
    r = scheduled_backup(engine, store, Path(config.get("COVENANT_BACKUP_DIR") or ""), keep)
    return f"{r['path']} ({r['bytes']:,} bytes; {r['verified']})"


def _store_job(store: Store, engine: Engine) -> str:
    done = maintain(store)
    return done.text() if done else "store empty"


HEAVY = {"store": _store_job, "backup": _backup_job}


JOB_DATABASE_URL = "COVENANT_JOB_DATABASE_URL"  # the worker's database, handed to its child


def heavy_job(name: str, store_root: Path) -> str:
    """A heavy job's body, in the child (`python -m flows worker-job NAME`)."""
    engine = make_engine(config.get(JOB_DATABASE_URL) or None, migrate=False)
    try:
        return HEAVY[name](Store(store_root), engine)
    finally:
        engine.dispose()


def in_own_process(name: str, store: Store, engine_factory: Callable) -> str:
    """Run a heavy job (rewriting the store's months, archiving every row) in a process of its
    own: its memory goes back to the system when it ends, so the worker's own stays flat whatever
    the store's size. A fresh interpreter (not a fork: nothing of the worker's state, threads or
    main module is carried over) with the worker's environment and database; its answer is its
    output, its failure the reason it writes."""
    env = dict(os.environ)
    env[JOB_DATABASE_URL] = engine_factory().url.render_as_string(hide_password=False)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "flows", "--store", str(store.root), "worker-job", name],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        reason = said[-1].removeprefix("error: ") if said else f"exit status {done.returncode}"
        raise FlowError(f"the {name} job failed: {reason}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "done"


def run_due(all_jobs: list[Job], now: float) -> list[str]:
    """Run every job whose turn has come; what each said (or why it failed)."""
    said = []
    for job in all_jobs:
        if now < job.next_at:
            continue
        try:
            job.last = job.run()
        except EXPECTED as exc:  # named errors and I/O: said, and tried again next turn
            job.last = f"failed: {type(exc).__name__}: {exc}"
            log.warning("%s %s", job.name, job.last)
        job.next_at = now + job.every_s
        said.append(f"{job.name}: {job.last}")
        log.info("%s: %s", job.name, job.last)
    return said


def serve(store: Store, engine_factory: Callable, once: bool = False, tick_s: float = 5) -> None:
    """Run the jobs until stopped (SIGTERM/Ctrl-C), or every job once with `once`."""
    all_jobs = jobs(store, engine_factory)
    while True:
        run_due(all_jobs, time.monotonic())  # each job's outcome is logged
        if once:
            return
        time.sleep(tick_s)
