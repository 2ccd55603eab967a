"""Connectors against a help desk on loopback that speaks each vendor's documented API
(tests/helpdesk_server.py): every ticket arrives, once, with the figures a file of the same
vendor gives; 429 storms, a 500 mid-page, a repeated page and a cursor that goes backwards change
nothing; the cursor moves only after its batch is in the store; a killed worker's restart and two
workers at once load each ticket once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from helpdesk_server import SECRET, USER, HelpDesk, Ticket, serve
from helpers import terms_doc

from contracts.adapters.unit_of_work import UnitOfWork
from contracts.errors import SettingsError
from contracts.services import connections
from flows.connectors import sync as sync_mod
from flows.connectors import vendors
from flows.connectors.sync import sync_connection, sync_due
from sla_engine.errors import IngestError
from sla_engine.ingest.run import ingest
from sla_engine.reports.analysis import parse_as_of, store_report
from sla_engine.reports.timeline import ticket_timeline
from sla_engine.rulebook.terms import parse_terms
from sla_engine.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
AS_OF = parse_as_of("2025-04-01T00:00:00+00:00")
SINCE = datetime(2025, 3, 1, tzinfo=UTC)
VENDORS = ("zendesk", "servicenow", "jira", "freshdesk", "freshservice")
DOC = terms_doc(
    contract_id="ACME",
    calendar={"timezone": "UTC"},
    tiers={
        "P1": {
            "response_minutes": 60,
            "resolution_minutes": 240,
            "clock": "calendar",
            "target_pct": 90,
        },
        "P2": {
            "response_minutes": 240,
            "resolution_minutes": 1440,
            "clock": "calendar",
            "target_pct": 90,
        },
    },
    resolved_statuses=["solved", "resolved", "closed", "done"],
    pause_statuses=["pending", "hold", "on hold", "waiting for customer"],
    severity_map={
        "urgent": "P1",
        "high": "P1",
        "highest": "P1",
        "normal": "P2",
        "medium": "P2",
        "low": "P2",
        "1": "P1",
        "2": "P1",
        "3": "P2",
        "4": "P2",
        "1 - critical": "P1",
        "2 - high": "P1",
        "3 - moderate": "P2",
        "4 - low": "P2",
    },
)


def _tickets(n: int, start: int = 1) -> list[Ticket]:
    base = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    out = []
    for i in range(start, start + n):
        created = base + timedelta(hours=i)
        responded = created + timedelta(minutes=20 + 30 * (i % 4))  # some P1s miss 60 min
        solved = created + timedelta(hours=2 + i % 5) if i % 3 else None
        out.append(
            Ticket(
                i,
                ("urgent", "high", "normal", "low")[i % 4],
                created,
                responded,
                solved,
                (solved or responded) + timedelta(minutes=1),
                "solved" if solved else "open",
            )
        )
    return out


@pytest.fixture
def desk():
    d = HelpDesk(tickets=_tickets(9))
    server, url = serve(d)
    d.url = url  # type: ignore[attr-defined]
    yield d
    d.hold.clear()
    server.shutdown()
    server.server_close()


def _store(tmp_path: Path, name: str = "store") -> Store:
    s = Store(tmp_path / name)
    s.add_terms(parse_terms(DOC))
    return s


def _add(engine, desk, vendor: str, name: str | None = None) -> connections.Connection:
    if vendor.startswith("fresh"):
        desk.fresh = vendor  # the two products answer on one path
    uow = UnitOfWork(engine)
    connections.add(
        uow,
        name or vendor,
        vendor,
        desk.url,
        USER,
        SECRET,
        "ida",
        contract_id="ACME",
        every="10m",
        since=SINCE,
    )
    return connections.by_name(UnitOfWork(engine), name or vendor)


def _uow(engine):
    return lambda: UnitOfWork(engine)


def _ids(store: Store) -> list[str]:
    import duckdb

    if store.current() is None:
        return []
    con = duckdb.connect()
    store.attach(con)
    return [
        r[0] for r in con.execute("SELECT ticket_id FROM tickets ORDER BY ticket_id").fetchall()
    ]


def _same_records_as_files(tmp_path: Path, desk, vendor: str, name: str) -> Store:
    """What the help desk serves now, as one export file (and its status history as the second
    file) loaded through the file import into a store of its own."""
    desk.page_size = 100
    (page,) = [
        p
        for p in vendors.PULL[vendor](
            __import__("flows.connectors.http", fromlist=["session"]).session(USER, SECRET),
            desk.url,
            {},
            SINCE,
        )
        if p.records
    ]
    f = tmp_path / f"{name}.json"
    f.write_text(json.dumps(page.document))
    other = _store(tmp_path, name)
    ingest(
        other,
        f,
        vendors.PROFILE[vendor],
        tz=vendors.TIMEZONE.get(vendor),
        contract="ACME",
        history=sync_mod._write_history(page.history, tmp_path / f"{name}-history.csv"),
    )
    return other


def _figures(store: Store):
    return store_report(store, AS_OF)[0].drop(columns=["terms_id"], errors="ignore")


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_connection_loads_every_ticket_with_the_figures_of_a_file(engine, tmp_path, desk, vendor):
    store = _store(tmp_path)
    conn = _add(engine, desk, vendor)
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None and r.read == 9 and r.quarantined == 0, r.text()
    assert len(_ids(store)) == 9
    assert len(desk.requests) >= 5  # 9 tickets at 2 per page: it paged to the end
    # the same records as one export file, through the file import: the same figures
    other = _same_records_as_files(tmp_path, desk, vendor, "file")
    a, b = _figures(store), _figures(other)
    assert a.to_dict("records") == b.to_dict("records") and len(a) > 0
    after = connections.by_name(UnitOfWork(engine), vendor)
    assert after.last_error is None and after.rows_read == 9 and after.cursor
    assert after.next_run_at > after.last_run_at - timedelta(seconds=1)
    # nothing new: the next run reads (at most) the overlap again and changes nothing
    desk.page_size = 2
    r2 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), vendor), backoff_s=0.01
    )
    assert r2.error is None and len(_ids(store)) == 9
    assert conn.id == after.id


@pytest.mark.parametrize("vendor", VENDORS)
def test_rate_limits_a_500_mid_run_and_a_repeated_page_change_nothing(
    engine, tmp_path, desk, vendor
):
    store = _store(tmp_path)
    _add(engine, desk, vendor)
    path = {
        "zendesk": "cursor.json",
        "servicenow": "incident",
        "jira": "search/jql",
        "freshdesk": "/api/v2/tickets",
        "freshservice": "/api/v2/tickets",
    }[vendor]
    desk.faults = [(path, "429", 1), (path, "429", 0), (path, "500", 0), (path, "429", 0)]
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None and len(_ids(store)) == 9, r.text()
    assert not desk.faults  # every fault was met and retried through
    # new and changed tickets: the next run brings them; a page served twice is harmless
    desk.tickets[0].solved = desk.tickets[0].responded + timedelta(hours=1)
    desk.tickets[0].status = "solved"
    desk.tickets[0].updated = datetime(2025, 3, 20, tzinfo=UTC)
    desk.tickets += _tickets(3, start=10)
    for t in desk.tickets[-3:]:
        t.updated = datetime(2025, 3, 21, tzinfo=UTC) + timedelta(minutes=t.id)
    desk.faults = [(path, "ok", 0), (path, "repeat", 0)]  # the second page is the first again
    r2 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), vendor), backoff_s=0.01
    )
    assert r2.error is None and len(_ids(store)) == 12, r2.text()


PAUSED_ID = {"zendesk": "20", "servicenow": "INC0000020"}


@pytest.mark.parametrize("vendor", ["zendesk", "servicenow"])
def test_a_pause_in_the_help_desk_stops_the_clock_across_runs(engine, tmp_path, desk, vendor):
    """An urgent ticket (240 min to resolve) waits on the customer for 6 of its 7 hours. Run one
    sees it pending; run two sees it resumed and solved: the status history reaches the store
    (Zendesk's metric events added to what is stored, ServiceNow's sys_audit) and the clock
    counted 60 minutes, met — as the same records uploaded as files say."""
    day = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
    at = {m: day + timedelta(minutes=m) for m in (0, 20, 30, 390, 420)}
    t = Ticket(20, "urgent", at[0], at[20], None, at[30], "pending", [(at[30], "pending")])
    desk.tickets.append(t)
    store = _store(tmp_path)
    _add(engine, desk, vendor)
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None, r.text()
    ((metric),) = [
        m
        for m in ticket_timeline(store, "ACME", PAUSED_ID[vendor], AS_OF).metrics
        if m.name == "resolution"
    ]
    assert metric.paused_now and metric.met is None
    t.changes += [(at[390], "open"), (at[420], "solved")]
    t.status, t.solved, t.updated = "solved", at[420], at[420]
    r2 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), vendor), backoff_s=0.01
    )
    assert r2.error is None, r2.text()
    ((metric),) = [
        m
        for m in ticket_timeline(store, "ACME", PAUSED_ID[vendor], AS_OF).metrics
        if m.name == "resolution"
    ]
    assert (metric.paused_min, metric.counted_min, metric.met) == (360, 60, True)
    # the same records as files: the same verdict
    other = _same_records_as_files(tmp_path, desk, vendor, "file")
    a, b = _figures(store), _figures(other)
    assert a.to_dict("records") == b.to_dict("records")


def test_a_jira_changelog_longer_than_a_search_page_is_read_whole(engine, tmp_path, desk):
    """60 two-minute waits on the customer, then solved: 120 status changes, more than the 100 a
    search answer shows. Every wait counts: 120 minutes paused, not the first 100."""
    day = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
    waits = [
        (day + timedelta(minutes=10 + 4 * k + d), st)
        for k in range(60)
        for d, st in ((0, "pending"), (2, "open"))
    ]
    end = day + timedelta(minutes=300)
    desk.tickets.append(
        Ticket(
            20,
            "urgent",
            day,
            day + timedelta(minutes=5),
            end,
            end,
            "solved",
            [*waits, (end, "solved")],
        )
    )
    store = _store(tmp_path)
    _add(engine, desk, "jira")
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None, r.text()
    assert any("/rest/api/3/issue/10020/changelog" in q for q in desk.requests)
    ((metric),) = [
        m for m in ticket_timeline(store, "ACME", "SUP-20", AS_OF).metrics if m.name == "resolution"
    ]
    assert (metric.paused_min, metric.counted_min, metric.met) == (120, 180, True)


def test_a_ticket_deleted_in_the_help_desk_leaves_the_store(engine, tmp_path, desk):
    store = _store(tmp_path)
    _add(engine, desk, "zendesk")
    sync_due(store, _uow(engine), backoff_s=0.01)
    assert "3" in _ids(store)
    gone = desk.tickets[2]
    gone.status, gone.updated = "deleted", datetime(2025, 3, 25, tzinfo=UTC)
    r = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), "zendesk"), backoff_s=0.01
    )
    assert r.error is None, r.text()
    assert "3" not in _ids(store) and len(_ids(store)) == 8
    rep = store_report(store, AS_OF)[0]
    assert set(rep.groupby("metric")["tickets"].sum()) == {8}  # each metric counts 8 tickets


def test_an_incident_deleted_in_servicenow_leaves_the_store(engine, tmp_path, desk):
    """The Table API lists only incidents that exist: a deleted one is known from
    sys_audit_delete, read after the incidents, and its ticket and results leave the store."""
    store = _store(tmp_path)
    _add(engine, desk, "servicenow")
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None and "INC0000003" in _ids(store), r.text()
    desk.tickets = [t for t in desk.tickets if t.id != 3]
    desk.sn_deleted.append((3, datetime(2025, 3, 25, tzinfo=UTC)))
    conn = connections.by_name(UnitOfWork(engine), "servicenow")
    r2 = sync_connection(store, _uow(engine), conn, backoff_s=0.01)
    assert r2.error is None, r2.text()
    assert "INC0000003" not in _ids(store) and len(_ids(store)) == 8
    rep = store_report(store, AS_OF)[0]
    assert set(rep.groupby("metric")["tickets"].sum()) == {8}
    saved = connections.by_name(UnitOfWork(engine), "servicenow").cursor
    assert saved["deletes_high_water"] == "2025-03-25T00:00:00Z"
    # the next run reads the deletion again (the overlap): nothing changes
    r3 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), "servicenow"), backoff_s=0.01
    )
    assert r3.error is None and len(_ids(store)) == 8


def test_an_issue_deleted_in_jira_leaves_the_store_and_a_listing_of_almost_nothing_removes_nothing(
    engine, tmp_path, desk, monkeypatch
):
    """Jira's search never shows a deleted issue: the run lists every key it still finds (keys
    only) and the issues this connection brought that are gone leave the store. A listing that
    would remove most of them is refused in plain words (a lost permission, not deletions)."""
    monkeypatch.setattr(vendors, "JIRA_KEYS_EVERY", timedelta(0))  # list on every run
    store = _store(tmp_path)
    _add(engine, desk, "jira")
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None and len(_ids(store)) == 9, r.text()
    assert any("ORDER+BY+key" in q and "fields=key" in q for q in desk.requests)
    desk.tickets = [t for t in desk.tickets if t.id != 3]
    r2 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), "jira"), backoff_s=0.01
    )
    assert r2.error is None, r2.text()
    assert "SUP-3" not in _ids(store) and len(_ids(store)) == 8
    assert set(store_report(store, AS_OF)[0].groupby("metric")["tickets"].sum()) == {8}
    # a file upload of the same contract is not this connection's: never removed by it
    upload = tmp_path / "other.csv"
    upload.write_text(
        "ticket_id,severity,created_at,first_response_at,resolved_at\n"
        "MAIL-1,urgent,2025-03-12T10:00:00Z,2025-03-12T10:10:00Z,\n",
        encoding="utf-8",
    )
    ingest(store, upload, "generic", contract="ACME")
    desk.tickets = desk.tickets[:1]  # the user lost sight of almost every issue
    r3 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), "jira"), backoff_s=0.01
    )
    assert r3.error is not None and "lost permission" in r3.error
    assert len(_ids(store)) == 9  # the 8 issues and the uploaded ticket: nothing removed
    desk.tickets = _tickets(9)[:-1]  # back, but for issue 9 (deleted meanwhile)
    desk.tickets = [t for t in desk.tickets if t.id != 3]
    r4 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), "jira"), backoff_s=0.01
    )
    assert r4.error is None, r4.text()
    assert sorted(_ids(store)) == sorted(["MAIL-1", *(f"SUP-{i}" for i in (1, 2, 4, 5, 6, 7, 8))])


@pytest.mark.parametrize("vendor", ["freshdesk", "freshservice"])
def test_a_ticket_moved_to_the_trash_leaves_the_store(engine, tmp_path, desk, vendor):
    """Freshdesk and Freshservice list a deleted ticket only with filter=deleted (the trash): each
    run reads the trash since its window's start, and the ticket and its results leave."""
    store = _store(tmp_path)
    _add(engine, desk, vendor)
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None and "3" in _ids(store), r.text()
    (gone,) = [t for t in desk.tickets if t.id == 3]
    desk.tickets.remove(gone)
    gone.updated = datetime(2025, 3, 25, tzinfo=UTC)  # deleting it is its last update
    desk.trash.append(gone)
    conn = connections.by_name(UnitOfWork(engine), vendor)
    r2 = sync_connection(store, _uow(engine), conn, backoff_s=0.01)
    assert r2.error is None, r2.text()
    assert "3" not in _ids(store) and len(_ids(store)) == 8
    assert any("filter=deleted" in q for q in desk.requests)
    assert set(store_report(store, AS_OF)[0].groupby("metric")["tickets"].sum()) == {8}


def test_a_cursor_that_goes_backwards_never_moves_the_high_water_back(engine, tmp_path, desk):
    store = _store(tmp_path)
    _add(engine, desk, "servicenow")
    sync_due(store, _uow(engine), backoff_s=0.01)
    high = connections.by_name(UnitOfWork(engine), "servicenow").cursor["high_water"]
    desk.backwards = True  # the server now says every ticket was updated an hour earlier
    sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), "servicenow"), backoff_s=0.01
    )
    assert connections.by_name(UnitOfWork(engine), "servicenow").cursor["high_water"] == high
    assert len(_ids(store)) == 9


def test_freshdesk_past_its_page_limit_moves_the_window_on(engine, tmp_path, desk, monkeypatch):
    monkeypatch.setattr(vendors, "FRESHDESK_MAX_PAGE", 2)
    desk.freshdesk_max_page = 2  # asking for page 3 is refused, as Freshdesk refuses page 301
    store = _store(tmp_path)
    _add(engine, desk, "freshdesk")
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert r.error is None and len(_ids(store)) == 9, r.text()


def test_wrong_credentials_are_said_plainly_and_the_secret_never_shown(engine, tmp_path, desk):
    store = _store(tmp_path)
    connections.add(
        UnitOfWork(engine),
        "bad",
        "zendesk",
        desk.url,
        USER,
        "not-the-token",
        "ida",
        contract_id="ACME",
        since=SINCE,
    )
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert "refused the credentials" in (r.error or "")
    conn = connections.by_name(UnitOfWork(engine), "bad")
    assert "refused the credentials" in (conn.last_error or "") and conn.cursor == {}
    with UnitOfWork(engine) as uow:
        entries = uow.audit_entries()
    trail = json.dumps([e["payload"] for e in entries], default=str)
    assert "not-the-token" not in trail
    assert "connection.failed" in [e["kind"] for e in entries]


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ({"vendor": "salesforce"}, "vendor is one of"),
        ({"base_url": "http://desk.example.com"}, "only over https"),
        ({"base_url": "ftp://x"}, "http"),
        ({"every": "5s"}, "at least every"),
        ({"every": "often"}, "schedule"),
        ({"secret": " "}, "token or password"),
    ],
)
def test_a_connection_that_cannot_work_is_refused(engine, args, why):
    base = {
        "name": "x",
        "vendor": "zendesk",
        "base_url": "https://acme.zendesk.com",
        "username": "u",
        "secret": "s",
        "actor": "ida",
    } | args
    with pytest.raises(SettingsError, match=why):
        connections.add(UnitOfWork(engine), **base)


def _flows(engine, store: Store, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flows", "--store", str(store.root), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_worker_killed_mid_batch_restarts_and_loses_and_doubles_nothing(engine, tmp_path, desk):
    store = _store(tmp_path)
    _add(engine, desk, "zendesk")
    desk.hold.set()  # the first page's answer waits: the worker is mid-batch
    p = _flows(engine, store, "sync", "zendesk", "--once")
    assert desk.held.wait(60)
    os.kill(p.pid, signal.SIGKILL)
    p.communicate(timeout=30)
    desk.hold.clear()
    assert _ids(store) == [] and connections.by_name(UnitOfWork(engine), "zendesk").cursor == {}
    again = _flows(engine, store, "sync", "zendesk", "--once")  # same host: the dead lease is freed
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert len(_ids(store)) == 9 and len(set(_ids(store))) == 9, out


def test_two_workers_at_once_run_a_connection_once(engine, tmp_path, desk):
    store = _store(tmp_path)
    _add(engine, desk, "jira")
    desk.hold.set()
    first = _flows(engine, store, "sync", "jira", "--once")
    assert desk.held.wait(60)
    second = _flows(engine, store, "sync", "jira", "--once")
    out2, err2 = second.communicate(timeout=300)
    desk.hold.clear()
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert "another worker is running it" in out2
    assert len(_ids(store)) == 9 and len(set(_ids(store))) == 9


def test_the_cursor_moves_only_after_the_batch_is_stored(engine, tmp_path, desk, monkeypatch):
    """An ingest that fails leaves the cursor where it was: the next run reads the batch again."""
    store = _store(tmp_path)
    _add(engine, desk, "zendesk")
    from sla_engine.errors import IngestError

    def broken(*a, **k):
        raise IngestError("the store's disk is full")

    monkeypatch.setattr(sync_mod, "ingest_export", broken)
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert "disk is full" in (r.error or "")
    assert connections.by_name(UnitOfWork(engine), "zendesk").cursor == {}
    monkeypatch.undo()
    r2 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), "zendesk"), backoff_s=0.01
    )
    assert r2.error is None and len(_ids(store)) == 9


@pytest.mark.parametrize("vendor", ["zendesk", "servicenow", "freshservice"])
def test_a_worker_that_dies_after_storing_a_batch_but_before_saving_its_cursor(
    engine, tmp_path, desk, monkeypatch, vendor
):
    """The worst instant to die: the batch is in the store, the cursor not saved. The next run
    reads the batch again; it changes nothing, and nothing is doubled."""
    store = _store(tmp_path)
    _add(engine, desk, vendor)
    monkeypatch.setattr(sync_mod, "BATCH_RECORDS", 4)  # several batches per run
    real = connections.advance
    calls = []

    def dies_once(*a, **k):
        calls.append(1)
        if len(calls) == 2:  # after the second batch is stored
            raise SystemExit("killed")
        return real(*a, **k)

    monkeypatch.setattr(connections, "advance", dies_once)
    with pytest.raises(SystemExit):
        sync_due(store, _uow(engine), backoff_s=0.01)
    stored = _ids(store)
    assert 4 < len(stored) < 9  # two batches stored, the second one's cursor never saved
    monkeypatch.setattr(connections, "advance", real)
    r = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), vendor), backoff_s=0.01
    )
    assert r.error is None, r.text()
    assert len(_ids(store)) == 9 and len(set(_ids(store))) == 9
    before = store_report(store, AS_OF)[0]
    r2 = sync_connection(
        store, _uow(engine), connections.by_name(UnitOfWork(engine), vendor), backoff_s=0.01
    )
    assert r2.error is None
    pd.testing.assert_frame_equal(store_report(store, AS_OF)[0], before)


def test_a_freshservice_run_resumed_after_a_deletion_moved_its_pages_misses_nothing(
    engine, tmp_path, desk, monkeypatch
):
    """Freshservice pages by number over tickets ordered by creation. A run stores pages 1 and 2
    (tickets 1-4), saves "page 3", and fails storing page 3. Ticket 1 is deleted since: every
    later ticket moves up by one, and ticket 5 is now on page 2. The resumed run starts a page
    early, so ticket 5 is not missed."""
    store = _store(tmp_path)
    _add(engine, desk, "freshservice")
    monkeypatch.setattr(sync_mod, "BATCH_RECORDS", 2)  # a batch per page
    real, calls = sync_mod.ingest_export, []

    def fails_third(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise IngestError("the store's disk is full")
        return real(*a, **k)

    monkeypatch.setattr(sync_mod, "ingest_export", fails_third)
    (r,) = sync_due(store, _uow(engine), backoff_s=0.01)
    assert "disk is full" in (r.error or "")
    assert _ids(store) == ["1", "2", "3", "4"]
    assert connections.by_name(UnitOfWork(engine), "freshservice").cursor["page"] == 3
    desk.tickets = [t for t in desk.tickets if t.id != 1]
    r2 = sync_connection(
        store,
        _uow(engine),
        connections.by_name(UnitOfWork(engine), "freshservice"),
        backoff_s=0.01,
    )
    assert r2.error is None, r2.text()
    assert set(_ids(store)) == {str(i) for i in range(1, 10)}


def test_an_admin_connects_a_help_desk_on_the_page_and_its_tickets_arrive(
    engine, tmp_path, desk, monkeypatch
):
    """The Integrations page: add a Zendesk connection, test it, run it now; the store holds its
    tickets with no upload, and the token is never shown again."""
    from streamlit.testing.v1 import AppTest

    store = _store(tmp_path)
    monkeypatch.setenv("COVENANT_STORE", str(store.root))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app_pages" / "integrations.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["roles"] = ["admin"]
    at.session_state["username"] = "ida"
    at.run()
    assert at.title[0].value == "Integrations" and not at.exception
    assert "No connections yet" in at.info[0].value
    at.text_input(key="conn_name").input("acme-zendesk")
    at.selectbox(key="conn_vendor").select("zendesk")
    at.text_input(key="conn_url").input(desk.url)
    at.text_input(key="conn_user").input(USER)
    at.text_input(key="conn_secret").input(SECRET)
    at.selectbox(key="conn_contract").select("ACME")
    at.date_input(key="conn_since").set_value(SINCE.date())
    at.button[0].click().run()  # the form's submit
    assert not at.exception and "added" in at.success[0].value
    test = next(b for b in at.button if b.key and b.key.startswith("conn_test:"))
    test.click().run()
    assert any("first page holds 2 ticket" in s.value for s in at.success), [
        x.value for x in [*at.success, *at.error]
    ]
    run = next(b for b in at.button if b.key and b.key.startswith("conn_run:"))
    run.click().run()
    assert any("9 record" in s.value for s in at.success), [s.value for s in at.success]
    assert len(_ids(store)) == 9
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.success])
    assert SECRET not in shown and SECRET not in at.dataframe[0].value.to_csv()
