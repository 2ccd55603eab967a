"""Alerts before a breach, end to end on real parts: a store with open tickets, rules in the
database (SQLite and PostgreSQL), e-mail through a loopback SMTP server, and a loopback HTTP
receiver that verifies each webhook's Standard Webhooks signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest
from helpers import terms_doc, us

from contracts.adapters.mailer import deliver
from contracts.adapters.orm import AlertSentRow
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import SettingsError
from contracts.services import alert_rules
from contracts.services.alert_rules import parse_threshold
from contracts.services.users import create_user
from flows import alert_delivery, alerts
from sla_engine.ingest.run import ingest
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

AS_OF = us("2025-03-04 10:24")
TICKETS = (
    "ticket_id,severity,created_at,first_response_at,resolved_at\n"
    # 24 of 30 response minutes used: past 75 %, not breached
    "T1,P1,2025-03-04T10:00:00-05:00,,\n"
    # answered and resolved long before any threshold: never alerts
    "T2,P1,2025-03-04T09:00:00-05:00,2025-03-04T09:05:00-05:00,2025-03-04T09:20:00-05:00\n"
    # 84 minutes without a response: past 75 % and breached
    "T3,P1,2025-03-04T09:00:00-05:00,,\n"
    # 4 minutes old: nothing yet
    "T4,P1,2025-03-04T10:20:00-05:00,,\n"
)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    f = tmp_path / "t.csv"
    f.write_text(TICKETS)
    ingest(s, f, "generic", contract="ACME")
    return s


class Receiver:
    """A webhook endpoint on 127.0.0.1: answers with the next status of `statuses` (then 200),
    records what it got and whether the signature verified."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.got: list[dict] = []
        self.secret: str | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = None
                if outer.secret and "webhook-signature" in self.headers:
                    key = base64.b64decode(outer.secret.removeprefix("whsec_"))
                    signed = (
                        f"{self.headers['webhook-id']}.{self.headers['webhook-timestamp']}."
                    ).encode() + body
                    expected = (
                        "v1,"
                        + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
                    )
                    ok = hmac.compare_digest(expected, self.headers["webhook-signature"])
                outer.got.append(
                    {"id": self.headers.get("webhook-id"), "ok": ok, "body": json.loads(body)}
                )
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *a) -> None:  # quiet
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("COVENANT_WEBHOOK_ALLOW_PRIVATE", "1")  # an admin allowed loopback
    r = Receiver()
    yield r
    r.close()


def _rule(engine, receiver, **over) -> int:
    args = {
        "name": "P1 response watch",
        "actor": "sam",
        "thresholds": ["75%", "breach"],
        "metrics": ["response"],
        "contract_id": "ACME",
        "emails": ["ops@acme.example"],
        "webhook_kind": "standard",
        "webhook_url": receiver.url,
        "ticket_url": "https://acme.zendesk.example/agent/tickets/{ticket}",
    } | over
    rule_id, secret = alert_rules.create_rule(UnitOfWork(engine), **args)
    receiver.secret = secret
    return rule_id


def _sent(engine) -> set[tuple[str, str, str]]:
    with UnitOfWork(engine) as uow:
        return {
            (r.ticket_id, r.metric, r.threshold)
            for r in uow.session.query(AlertSentRow).all()
            if r.outcome == "sent"
        }


def _suppressed(engine) -> set[tuple[str, str, str, str]]:
    with UnitOfWork(engine) as uow:
        return {
            (r.ticket_id, r.metric, r.threshold, r.outcome)
            for r in uow.session.query(AlertSentRow).all()
            if r.outcome != "sent"
        }


def test_each_crossing_alerts_once_by_mail_and_signed_webhook(engine, store, receiver, smtp):
    inbox, cfg = smtp
    _rule(engine, receiver)
    first = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=lambda s: None)
    # T3 was already breached when first seen: its breach alert is sent, its 75 % one suppressed
    assert _sent(engine) == {("T1", "response", "75%"), ("T3", "response", "breach")}
    assert _suppressed(engine) == {
        ("T3", "response", "75%", "suppressed: already breached when first seen")
    }
    assert first.alerts == 2 and first.suppressed == 1
    again = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=lambda s: None)
    assert again.alerts == 0 and again.already_sent == 3  # ticking again sends nothing twice
    assert len(receiver.got) == 2 and all(g["ok"] for g in receiver.got)
    t1 = next(g["body"] for g in receiver.got if g["body"]["ticket"] == "T1")
    assert t1["contract"] == "ACME" and t1["tier"] == "P1" and t1["metric"] == "response"
    assert t1["target_minutes"] == 30 and t1["used_minutes"] == 24
    assert t1["breaches_at"] == "2025-03-04 10:30 -05:00"  # in the contract's zone
    assert t1["ticket_url"] == "https://acme.zendesk.example/agent/tickets/T1"
    assert "/compliance?contract=ACME" in t1["timeline_url"]
    deliver(engine, cfg)
    mails = inbox.to("ops@acme.example")
    assert len(mails) == 2
    body = next(m for m in mails if "T1" in m["Subject"]).get_body().get_content()
    assert "24 of 30 minutes used" in body and "Breaches at: 2025-03-04 10:30 -05:00" in body


def test_two_workers_ticking_at_once_send_each_alert_once(engine, store, receiver):
    _rule(engine, receiver)
    reports: list[alerts.TickReport] = []
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        reports.append(alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=lambda s: None))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.alerts for r in reports) == 2 and len(_sent(engine)) == 2
    assert sum(r.suppressed for r in reports) == 1 and len(_suppressed(engine)) == 1
    assert len(receiver.got) == 2  # the webhook too: once per alert


def test_a_failing_webhook_is_retried_then_dead_and_the_rule_disabled(
    tmp_path, store, receiver, monkeypatch
):
    from contracts.adapters.orm import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    create_user(
        UnitOfWork(engine),
        "sam",
        "Sam",
        "sam@acme.example",
        "a-long-password",
        ["support_manager"],
        "t",
    )
    receiver.statuses = [500] * 100
    monkeypatch.setattr(alerts, "DISABLE_AFTER", 2)
    waits: list[float] = []
    rule_id = _rule(engine, receiver)
    r = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=waits.append)
    assert len(r.dead_letters) == 2 and r.rules_disabled == [rule_id]
    assert len(receiver.got) == 2 * alert_delivery.ATTEMPTS  # every try of both, then stopped
    assert len(waits) == 2 * (alert_delivery.ATTEMPTS - 1) and waits[1] > waits[0] * 1.3  # backoff
    assert not [x for x in alert_rules.rules(UnitOfWork(engine)) if x.id == rule_id]
    with UnitOfWork(engine) as uow:
        statuses = [
            s.webhook_status for s in uow.session.query(AlertSentRow).all() if s.outcome == "sent"
        ]
        owner_told = [
            e
            for e in uow.audit_entries(f"alert_rule:{rule_id}")
            if e["kind"] == "alert.rule_disabled"
        ]
    assert all(s.startswith("dead: HTTP 500") for s in statuses) and owner_told


def test_a_5xx_then_success_is_delivered(tmp_path, store, receiver):
    from contracts.adapters.orm import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite'}")
    receiver.statuses = [503, 429]
    _rule(engine, receiver, thresholds=["breach"])
    r = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=lambda s: None)
    assert r.alerts == 1 and r.webhooks_delivered == 1 and not r.dead_letters
    ids = {g["id"] for g in receiver.got}
    assert len(receiver.got) == 3 and len(ids) == 1  # retries keep the webhook-id


def test_private_targets_are_refused_unless_allowed(engine, monkeypatch):
    monkeypatch.delenv("COVENANT_WEBHOOK_ALLOW_PRIVATE", raising=False)
    for url in ("http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]/x"):
        with pytest.raises(SettingsError, match="private or local"):
            alert_rules.create_rule(
                UnitOfWork(engine),
                "x",
                "sam",
                ["75%"],
                ["response"],
                webhook_kind="standard",
                webhook_url=url,
            )


@pytest.mark.parametrize(
    ("threshold", "row", "fires"),
    [
        ("75%", {"counted_minutes": 24, "target_minutes": 30}, True),
        ("75%", {"counted_minutes": 22, "target_minutes": 30}, False),
        ("75%", {"counted_minutes": 29, "target_minutes": 30, "paused_now": True}, False),
        ("60m", {"remaining_minutes": 60}, True),
        ("60m", {"remaining_minutes": 61}, False),
        ("1h", {"remaining_minutes": 0, "breached_now": True}, True),
        ("breach", {"breached_now": True}, True),
        ("breach", {"breached_now": True, "paused_now": True}, False),
        ("breach", {"remaining_minutes": 1}, False),
    ],
)
def test_when_a_threshold_is_crossed(threshold, row, fires):
    base = {
        "counted_minutes": 0.0,
        "target_minutes": 30.0,
        "remaining_minutes": 30.0,
        "paused_now": False,
        "breached_now": False,
    }
    values = base | row
    frame = pd.DataFrame(
        [
            {
                "counted_us": int(values["counted_minutes"] * 60e6),
                "target_us": int(values["target_minutes"] * 60e6),
                "remaining_us": int(values["remaining_minutes"] * 60e6),
                "paused_now": values["paused_now"],
                "breached_now": values["breached_now"],
            }
        ]
    )
    assert bool(alerts.crossing(parse_threshold(threshold), frame).iloc[0]) is fires


@pytest.mark.parametrize("text", ["0%", "101%", "75", "soon", "0m", "99999h"])
def test_a_threshold_that_means_nothing_is_refused(text):
    with pytest.raises(SettingsError, match="threshold"):
        parse_threshold(text)


def test_a_clock_walks_a_ticket_through_its_thresholds_and_two_workers_send_each_once(
    engine, tmp_path
):
    """`python -m flows alerts add`, then two `alerts run --as-of` processes at once at each of
    three instants: 10 minutes before, 75 %, and the breach each fire exactly once."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    s = Store(tmp_path / "store")
    s.add_terms(parse_terms(terms_doc(contract_id="ACME")))
    f = tmp_path / "one.csv"
    f.write_text(
        "ticket_id,severity,created_at,first_response_at,resolved_at\n"
        "W1,P1,2025-03-04T10:00:00-05:00,,\n"
    )
    ingest(s, f, "generic", contract="ACME")
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PYTHONPATH": str(root),
    }

    def flows(*args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "flows", "--store", str(s.root), *args],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    add = flows(
        "alerts",
        "add",
        "walk",
        "--actor",
        "sam",
        "--contract",
        "ACME",
        "--metric",
        "response",
        "--before",
        "10m",
        "--at-share",
        "75%",
        "--at-breach",
        "--email",
        "ops@acme.example",
    )
    out, err = add.communicate(timeout=120)
    assert add.returncode == 0, err
    for instant, fired in (
        ("2025-03-04T10:21:00-05:00", {"10m"}),
        ("2025-03-04T10:23:00-05:00", {"10m", "75%"}),
        ("2025-03-04T10:31:00-05:00", {"10m", "75%", "breach"}),
    ):
        workers = [flows("alerts", "run", "--as-of", instant) for _ in range(2)]
        outs = [w.communicate(timeout=120) for w in workers]
        assert all(w.returncode == 0 for w in workers), outs
        assert {t for _, _, t in _sent(engine)} == fired, instant
    assert len(_sent(engine)) == 3  # each threshold once, across both workers and every tick


def test_a_test_send_reaches_every_channel_and_is_not_an_alert(engine, receiver, smtp):
    inbox, cfg = smtp
    rule_id = _rule(engine, receiver)
    said = alerts.test_send(UnitOfWork(engine), rule_id, "sam", sleep=lambda s: None)
    assert "1 test e-mail(s) queued" in said and "webhook: delivered" in said
    (got,) = receiver.got
    assert got["ok"] and got["body"]["summary"].startswith("TEST of alert rule")
    deliver(engine, cfg)
    assert [m["Subject"] for m in inbox.to("ops@acme.example")] == [
        "SLA alert TEST: P1 response watch"
    ]
    assert _sent(engine) == set()  # a test is never counted as an alert sent
    with UnitOfWork(engine) as uow:
        kinds = [e["kind"] for e in uow.audit_entries(f"alert_rule:{rule_id}")]
    assert "alert.test_sent" in kinds


def test_a_storm_of_crossings_sends_the_first_and_one_summary(engine, store, receiver, smtp):
    """A rule added over a backlog: beyond STORM crossings in one tick, the rest are recorded as
    summarised (never alerted later) and one summary message counts them."""
    inbox, cfg = smtp
    alerts_storm = 1
    import flows.alerts as module

    old, module.STORM = module.STORM, alerts_storm
    try:
        _rule(engine, receiver, thresholds=["75%"])  # T1 and T3 cross 75 %; no breach threshold
        r = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=lambda s: None)
    finally:
        module.STORM = old
    assert r.alerts == 1 and r.suppressed == 1
    # the oldest ticket first: T3 (09:00) is alerted, T1 (10:00) summarised
    assert _sent(engine) == {("T3", "response", "75%")}
    (why,) = [o for *_, o in _suppressed(engine)]
    assert why == "suppressed: one of 2 crossings at once, summarised"
    deliver(engine, cfg)
    subjects = sorted(m["Subject"] for m in inbox.to("ops@acme.example"))
    assert subjects == [
        "SLA alert (75%): ACME ticket T3",
        "SLA alerts: 1 more ticket(s) crossed (P1 response watch)",
    ]
    assert [g["body"]["type"] for g in receiver.got] == ["sla.alert", "sla.alert_summary"]


def test_an_apprise_json_channel_is_told_and_its_address_kept_sealed(engine, store, receiver):
    """apprise's generic JSON service to a loopback endpoint; the address (which may carry a
    token) is stored encrypted, and only its kind and host are shown or audited."""
    address = receiver.url.replace("http://", "json://") + "?token=s3cr3t"
    _rule(engine, receiver, thresholds=["breach"], webhook_kind="apprise", webhook_url=address)
    r = alerts.tick(store, UnitOfWork(engine), AS_OF, sleep=lambda s: None)
    assert r.alerts == 1 and r.webhooks_delivered == 1
    (got,) = receiver.got
    assert "T3" in got["body"]["title"] and "breached" in got["body"]["message"]
    (rule,) = alert_rules.rules(UnitOfWork(engine))
    assert rule.webhook_url == "apprise: json://127.0.0.1/…"
    with UnitOfWork(engine) as uow:
        trail = json.dumps([e["payload"] for e in uow.audit_entries(f"alert_rule:{rule.id}")])
        raw = json.dumps(
            [
                list(x)
                for x in uow.session.execute(
                    __import__("sqlalchemy").text(
                        "SELECT webhook_url, webhook_secret FROM alert_rules"
                    )
                )
            ]
        )
    assert "s3cr3t" not in trail and "s3cr3t" not in raw


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("mmost://chat.example/hook", "Covenant calls"),  # takes any host: not on the list
        ("json://127.0.0.1:9/x", None),  # loopback is allowed in this test only
        ("json://", "apprise does not understand|an http"),
    ],
)
def test_which_apprise_addresses_a_rule_may_use(engine, receiver, address, why):
    call = lambda: alert_rules.create_rule(  # noqa: E731
        UnitOfWork(engine),
        "x",
        "sam",
        ["breach"],
        ["response"],
        webhook_kind="apprise",
        webhook_url=address,
    )
    if why is None:
        call()
    else:
        with pytest.raises(SettingsError, match=why):
            call()
