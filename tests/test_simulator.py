"""The demo's simulated help desk: `make run`'s newcomer sees tickets arrive through a connection
with no upload. A real server on loopback, the demo world, the worker's sync."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services import connections
from flows import simulator
from flows.connectors.sync import sync_due
from flows.demo import SIMULATED, SIMULATED_CONTRACT, connect_simulator
from sla_engine.store.core import Store


def test_a_ticket_moves_as_the_clock_runs():
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    before = {t["id"]: t for t in simulator.state_at(now)}
    later = {t["id"]: t for t in simulator.state_at(now + timedelta(hours=6))}
    assert set(before) < set(later)  # new tickets arrived
    moved = [i for i in before if before[i]["updated"] != later[i]["updated"]]
    assert moved and all(later[i]["updated"] > before[i]["updated"] for i in moved)
    assert all(t["created"] <= now for t in before.values())
    assert simulator.state_at(now) == simulator.state_at(now)  # deterministic


@pytest.fixture
def world(tmp_path):
    from streamlit_server import demo_world

    env = demo_world(tmp_path)
    return tmp_path, make_engine(env["DATABASE_URL"])


def test_the_demo_connection_brings_the_simulated_tickets_into_the_store(world, monkeypatch):
    root, engine = world
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = simulator.make_server(port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert "added" in connect_simulator(engine, port)
        assert "already" in connect_simulator(engine, port)  # make run again: nothing doubled
        store = Store(root / "store")
        (r,) = sync_due(store, lambda: UnitOfWork(engine), backoff_s=0.01)
        assert r.error is None and r.read > 500 and r.quarantined == 0, r.text()
        con = duckdb.connect()
        store.attach(con)
        (n,) = con.execute(
            "SELECT count(*) FROM tickets WHERE contract_id = ? "
            "AND try_cast(ticket_id AS BIGINT) >= 100000",
            [SIMULATED_CONTRACT],
        ).fetchone()
        assert n == r.read
        # the simulated waits on the customer arrived as status history: pauses in the store
        (waits,) = con.execute(
            "SELECT count(DISTINCT ticket_id) FROM events WHERE contract_id = ? "
            "AND field = 'status' AND value = 'pending'",
            [SIMULATED_CONTRACT],
        ).fetchone()
        expected = sum(
            1
            for t in simulator.state_at(datetime.now(UTC))
            if t["wait"] and t["wait"][0] <= datetime.now(UTC) - timedelta(minutes=1)
        )
        assert waits >= expected > 50
        conn = connections.by_name(UnitOfWork(engine), SIMULATED)
        assert conn.every_s == 60 and conn.last_error is None
    finally:
        server.shutdown()
        server.server_close()
