"""Reports and reminders that arrive on their own: notice-deadline reminders 90, 30 and 7 days
before (only the most urgent window, once), the closed month's report with its evidence PDF and
credits workbook, the daily at-risk digest, each once however often the worker runs, each in
the audit trail; delivered over a loopback SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contracts_fixtures import example
from helpers import terms_doc
from signing_fixtures import sign_through_the_workflow

from contracts.adapters.mailer import deliver
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import contracts as contract_service
from contracts.services import templates as template_service
from contracts.services.users import create_user
from flows import schedule
from flows.worker import jobs, run_due
from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

pytestmark = pytest.mark.usefixtures("seal_env")


def _people(engine) -> None:
    for name, roles in (
        ("val", ["vendor_manager"]),
        ("fran", ["finance"]),
        ("sam", ["support_manager"]),
    ):
        create_user(
            UnitOfWork(engine),
            name,
            name.title(),
            f"{name}@acme.example",
            "a-long-password",
            roles,
            "t",
        )


def _signed(engine) -> str:
    template_service.install_starters(UnitOfWork(engine))
    values = example("saas-support") | {
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
        "notice_period_days": 60,
    }
    cid = contract_service.create_contract(UnitOfWork(engine), "saas-support", values).id
    sign_through_the_workflow(engine, cid)
    return cid


@pytest.mark.parametrize(
    ("today", "window"),
    [
        ("2025-07-01", None),  # 123 days before 2025-11-01
        ("2025-08-03", 90),
        ("2025-10-05", 30),
        ("2025-10-30", 7),
        ("2025-11-01", 7),  # the deadline itself
        ("2025-11-02", None),  # past it: the Renewals page says "notice missed"
    ],
)
def test_notice_reminders_go_once_in_the_most_urgent_window(engine, tmp_path, today, window):
    _people(engine)
    cid = _signed(engine)
    day = datetime.fromisoformat(today).replace(tzinfo=UTC)
    empty = Store(tmp_path / "store")
    first = schedule.due_notices(empty, UnitOfWork(engine), day)
    again = schedule.due_notices(empty, UnitOfWork(engine), day + timedelta(hours=3))
    expected = [f"notice-reminder {cid}:2025-11-01:{window}"] if window else []
    assert first.notices == expected and again.notices == []


def test_the_closed_months_report_and_the_digest_arrive_once_with_their_files(
    engine, tmp_path, smtp
):
    inbox, cfg = smtp
    _people(engine)
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(terms_doc(contract_id="ACME", monthly_fee=1000.0)))
    f = tmp_path / "t.csv"
    f.write_text(
        "ticket_id,severity,created_at,first_response_at,resolved_at\n"
        "M1,P1,2025-03-04T09:00:00-05:00,2025-03-04T10:30:00-05:00,2025-03-04T18:00:00-05:00\n"
        "M2,P1,2025-03-05T09:00:00-05:00,2025-03-05T09:10:00-05:00,2025-03-05T10:00:00-05:00\n"
        "M3,P2,2025-04-04T09:00:00-05:00,,\n"
    )
    ingest(store, f, "generic", contract="ACME")
    now = datetime(2025, 4, 4, 15, 0, tzinfo=UTC)  # after the report day (3): March goes out
    first = schedule.due_notices(store, UnitOfWork(engine), now)
    again = schedule.due_notices(store, UnitOfWork(engine), now + timedelta(minutes=30))
    assert "monthly-report ACME:2025-03" in first.notices
    assert "at-risk-digest sam@acme.example:2025-04-04" in first.notices
    assert again.notices == []
    deliver(engine, cfg)
    for who in ("val@acme.example", "fran@acme.example"):
        (report,) = [m for m in inbox.to(who) if "SLA report 2025-03" in m["Subject"]]
        files = {p.get_filename(): p.get_content_type() for p in report.iter_attachments()}
        assert files == {
            "sla-report-ACME-2025-03.pdf": "application/pdf",
            "credits-ACME-2025-03.xlsx": schedule.XLSX,
        }
        pdf = next(p for p in report.iter_attachments() if p.get_filename().endswith(".pdf"))
        assert pdf.get_content().startswith(b"%PDF")
    (digest,) = inbox.to("sam@acme.example")
    assert "M3" in digest.get_body().get_content()
    with UnitOfWork(engine) as uow:
        kinds = [e["kind"] for e in uow.audit_entries("monthly-report:ACME:2025-03")]
    assert kinds == ["notice.sent"]


def test_the_worker_runs_every_job_and_a_failing_one_does_not_stop_the_others(engine, tmp_path):
    store = Store(tmp_path / "store")
    all_jobs = jobs(store, lambda: engine)
    broken = next(j for j in all_jobs if j.name == "reminders")

    def fail() -> str:
        raise OSError("disk full")

    broken.run = fail
    said = run_due(all_jobs, now=0.0)
    assert [s.split(":")[0] for s in said] == [
        "sync",
        "alerts",
        "mail",
        "reminders",
        "completions",
        "checkpoint",
        "notices",
        "store",
        "backup",
    ]
    assert "reminders: failed: OSError: disk full" in said
    assert run_due(all_jobs, now=30.0) == []  # nobody's turn yet
    assert [s.split(":")[0] for s in run_due(all_jobs, now=61.0)] == [
        "sync",
        "alerts",
        "mail",
    ]


def test_the_workers_backup_keeps_the_last_archives_and_says_how_it_went(engine, tmp_path):
    from flows.backup import LAST_BACKUP_KEY, scheduled_backup

    store = Store(tmp_path / "store")
    folder = tmp_path / "backups"
    for _ in range(3):
        record = scheduled_backup(engine, store, folder, keep=2)
    assert len(list(folder.glob("covenant-*.tar.gz"))) == 2  # the oldest of three removed
    assert record["verified"] == "every file matches its SHA-256"
    with UnitOfWork(engine) as uow:
        assert uow.setting(LAST_BACKUP_KEY)["path"] == record["path"]
        assert [e["kind"] for e in uow.audit_entries("backup")].count("backup.made") == 3


def test_the_heavy_jobs_run_in_a_process_of_their_own_and_fail_in_plain_words(
    engine, tmp_path, monkeypatch
):
    """The store and backup jobs rewrite months and archive every row: they run in a child
    process (its memory goes back when it ends), with the worker's database and environment, and
    a failure there comes back as the job's reason, the other jobs going on."""
    store = Store(tmp_path / "store")
    store.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    export = tmp_path / "t.csv"
    export.write_text(
        "ticket_id,severity,created_at,first_response_at,resolved_at\n"
        + "".join(f"T{i},P1,2025-03-0{1 + i % 9}T10:00:00Z,,\n" for i in range(40)),
        encoding="utf-8",
    )
    ingest(store, export, "generic", contract="ACME")
    export.write_text(
        "ticket_id,severity,created_at,first_response_at,resolved_at\n"
        "T1,P1,2025-03-02T10:00:00Z,2025-03-02T10:20:00Z,\n",
        encoding="utf-8",
    )
    ingest(store, export, "generic", contract="ACME")  # one ticket: a change set
    monkeypatch.setenv("COVENANT_BACKUP_DIR", str(tmp_path / "backups"))
    by_name = {j.name: j for j in jobs(store, lambda: engine)}
    assert "1 change sets folded" in by_name["store"].run()
    assert "every file matches its SHA-256" in by_name["backup"].run()
    monkeypatch.setenv("COVENANT_STORE_RETENTION_HOURS", "0")  # refused inside the child
    said = run_due([by_name["store"], by_name["mail"]], now=0.0)
    assert said[0].startswith("store: failed: FlowError: the store job failed: COVENANT_STORE_RETE")
    assert said[1].startswith("mail: ")
