"""A simulated help desk for the embedded demo: a real HTTP server on 127.0.0.1 speaking Zendesk's
incremental cursor export (`/api/v2/incremental/tickets/cursor.json` with `include=metric_sets`)
and its incremental ticket metric events export (`/api/v2/incremental/ticket_metric_events.json`:
replies, waits on the customer, solves),
whose tickets arrive and move as the wall clock runs, so a newcomer's `make run` shows tickets
arriving through a connection and risks changing on the At risk page with no upload.

Deterministic: ticket k is created at ORIGIN + k * EVERY_S and its reply and solve delays come from
a seeded generator, so a restarted simulator serves the same history. A ticket's state at an
instant is what had happened by then (created, replied, solved). Demo only: it accepts one
published demo token and serves no other path."""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DEMO_USER = "demo@globex.example/token"
DEMO_TOKEN = "demo-token-not-secret"  # published: the simulator exists only for the demo
EVERY_S = 240  # a new ticket every four minutes
HISTORY = timedelta(days=2)  # tickets reach back this far
PAGE = 100
# priority -> (share, reply delay range in minutes, solve delay range in minutes)
PRIORITIES = {
    "urgent": (0.15, (2, 45), (30, 300)),
    "high": (0.35, (5, 60), (120, 900)),
    "normal": (0.5, (10, 400), (300, 2600)),
}
SOLVED_SHARE = 0.85  # the rest stay open, replied or not
WAIT_SHARE = 0.3  # tickets that wait on the customer (pending) once after the reply
WAIT_MINUTES = (20, 240)
EVENTS_PAGE = 1000


def _origin(now: datetime) -> datetime:
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - HISTORY


def _ticket(k: int, origin: datetime) -> dict:
    rng = random.Random(k * 7919 + int(origin.timestamp()))
    roll, acc, priority = rng.random(), 0.0, "normal"
    for name, (share, _, _) in PRIORITIES.items():
        acc += share
        if roll < acc:
            priority = name
            break
    _, reply, solve = PRIORITIES[priority]
    created = origin + timedelta(seconds=k * EVERY_S)
    replied = created + timedelta(minutes=rng.uniform(*reply))
    solved = (
        replied + timedelta(minutes=rng.uniform(*solve)) if rng.random() < SOLVED_SHARE else None
    )
    wait: tuple[datetime, datetime] | None = None
    if rng.random() < WAIT_SHARE:  # pending from a little after the reply; the solve moves later
        start = replied + timedelta(minutes=rng.uniform(1, 30))
        wait = (start, start + timedelta(minutes=rng.uniform(*WAIT_MINUTES)))
        if solved is not None:
            solved += wait[1] - wait[0] + (start - replied)
    return {
        "id": 100_000 + k,
        "priority": priority,
        "created": created,
        "replied": replied,
        "solved": solved,
        "wait": wait,
    }


def _z(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_at(now: datetime) -> list[dict]:
    """Every ticket created by `now`, as it stands then, ordered by its last update."""
    origin = _origin(now)
    count = int((now - origin).total_seconds() // EVERY_S) + 1
    out = []
    for k in range(count):
        t = _ticket(k, origin)
        replied = t["replied"] if t["replied"] <= now else None
        solved = t["solved"] if t["solved"] is not None and t["solved"] <= now else None
        marks = [x for x in (t["created"], replied, solved) if x is not None]
        status = "solved" if solved else "open"
        if t["wait"] is not None:
            marks += [x for x in t["wait"] if x <= now]
            if t["wait"][0] <= now < t["wait"][1]:
                status = "pending"
        out.append(
            {**t, "replied": replied, "solved": solved, "updated": max(marks), "status": status}
        )
    return sorted(out, key=lambda t: (t["updated"], t["id"]))


def page(query: dict, now: datetime) -> dict:
    """One page of the incremental cursor export as of `now`."""
    rows = state_at(now)
    if "cursor" in query:
        at, _, ident = base64.b64decode(query["cursor"]).decode().partition("|")
        last = (datetime.fromisoformat(at), int(ident))
        start = next((i for i, t in enumerate(rows) if (t["updated"], t["id"]) > last), len(rows))
        position = f"{at}|{ident}"
    else:
        since = datetime.fromtimestamp(int(query.get("start_time", "0")), UTC)
        start = next((i for i, t in enumerate(rows) if t["updated"] >= since), len(rows))
        position = f"{since.isoformat()}|0"
    chunk = rows[start : start + PAGE]
    if chunk:
        position = f"{chunk[-1]['updated'].isoformat()}|{chunk[-1]['id']}"
    return {
        "tickets": [
            {
                "id": t["id"],
                "created_at": _z(t["created"]),
                "updated_at": _z(t["updated"]),
                "priority": t["priority"],
                "status": t["status"],
                "subject": f"Simulated request {t['id']}",
            }
            for t in chunk
        ],
        "metric_sets": [
            {
                "id": 900_000 + t["id"],
                "ticket_id": t["id"],
                "replied_at": _z(t["replied"]),
                "solved_at": _z(t["solved"]),
                "status_updated_at": _z(t["updated"]),
            }
            for t in chunk
        ],
        "after_cursor": base64.b64encode(position.encode()).decode(),
        "end_of_stream": start + len(chunk) >= len(rows),
    }


def metric_events(query: dict, now: datetime) -> dict:
    """One page of the incremental ticket metric events export as of `now` (time-based)."""
    since = datetime.fromtimestamp(int(query.get("start_time", "0")), UTC)
    origin = _origin(now)
    count = int((now - origin).total_seconds() // EVERY_S) + 1
    events: list[tuple[datetime, int, str, str]] = []
    for k in range(count):
        t = _ticket(k, origin)
        events += [(t["created"], t["id"], "agent_work_time", "activate")]
        events += [(t["replied"], t["id"], "reply_time", "fulfill")]
        if t["wait"] is not None:
            events += [
                (t["wait"][0], t["id"], "agent_work_time", "pause"),
                (t["wait"][0], t["id"], "requester_wait_time", "pause"),
                (t["wait"][1], t["id"], "agent_work_time", "activate"),
            ]
        if t["solved"] is not None:
            events += [
                (t["solved"], t["id"], "agent_work_time", "fulfill"),
                (t["solved"], t["id"], "resolution_time", "fulfill"),
            ]
    rows = sorted(e for e in events if since <= e[0] <= now)
    chunk = rows[:EVENTS_PAGE]
    end = len(rows) <= EVENTS_PAGE
    return {
        "ticket_metric_events": [
            {
                "id": int(at.timestamp()) * 10 + n % 10,
                "ticket_id": tid,
                "metric": metric,
                "instance_id": 1,
                "type": kind,
                "time": _z(at),
            }
            for n, (at, tid, metric, kind) in enumerate(chunk)
        ],
        "count": len(chunk),
        "end_of_stream": end,
        "next_page": None
        if end
        else "/api/v2/incremental/ticket_metric_events.json?start_time="
        f"{int(chunk[-1][0].timestamp())}",
    }


ROUTES = {
    "/api/v2/incremental/tickets/cursor.json": page,
    "/api/v2/incremental/ticket_metric_events.json": metric_events,
}


def make_server(port: int) -> ThreadingHTTPServer:
    want = "Basic " + base64.b64encode(f"{DEMO_USER}:{DEMO_TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            if self.headers.get("Authorization") != want:
                return self._send(401, {"error": "Couldn't authenticate you"})
            answer = ROUTES.get(parts.path)
            if answer is None:
                return self._send(404, {"error": "InvalidEndpoint"})
            query = {k: v[0][:200] for k, v in parse_qs(parts.query).items()}
            try:
                body = answer(query, datetime.now(UTC))
            except (ValueError, UnicodeDecodeError):
                return self._send(400, {"error": "InvalidCursor"})
            self._send(200, body)

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def serve(port: int) -> None:
    """Run until stopped (make run stops it with the app)."""
    server = make_server(port)
    print(f"simulated Zendesk help desk on http://127.0.0.1:{port}", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
