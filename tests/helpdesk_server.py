"""A help desk on 127.0.0.1 speaking four vendors' documented APIs over one set of tickets, with
faults a test can script: 429 with Retry-After, a 500, a page served twice, a pause mid-page.

Records are built as each vendor's API documentation shows them (Zendesk incremental cursor
export with metric_sets, ServiceNow Table API `result`, Jira `search/jql` with changelog and
nextPageToken, Freshdesk tickets with `include=stats`)."""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

USER, SECRET = "agent@acme.example/token", "tok-3f9a"


@dataclass
class Ticket:
    id: int
    priority: str  # low normal high urgent
    created: datetime
    responded: datetime | None
    solved: datetime | None
    updated: datetime
    status: str = "open"  # open, pending, solved, deleted
    changes: list[tuple[datetime, str]] = field(default_factory=list)  # (at, status) after created


def _z(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sn(t: datetime | None) -> str:
    return "" if t is None else t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _jira(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


SN_PRIORITY = {"urgent": "1", "high": "2", "normal": "3", "low": "4"}
SN_STATE = {"open": "2", "pending": "3", "solved": "6", "deleted": "8"}
JIRA_PRIORITY = {"urgent": "Highest", "high": "High", "normal": "Medium", "low": "Low"}
FD_PRIORITY = {"urgent": 4, "high": 3, "normal": 2, "low": 1}
FD_STATUS = {"open": 2, "pending": 3, "solved": 4, "deleted": 5}


@dataclass
class HelpDesk:
    tickets: list[Ticket] = field(default_factory=list)
    page_size: int = 2
    faults: list[tuple[str, str, float]] = field(default_factory=list)  # (path part, kind, arg)
    requests: list[str] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)  # set: pauses answer
    held: threading.Event = field(default_factory=threading.Event)  # set while one is held
    backwards: bool = False  # answer with updated times an hour older than stored
    freshdesk_max_page: int = 300
    # Freshdesk and Freshservice answer on the same path: which product this desk is
    fresh: str = "freshdesk"
    # Freshdesk's and Freshservice's trash: deleted tickets, listed only with filter=deleted
    trash: list[Ticket] = field(default_factory=list)
    # ServiceNow's record of deleted incidents (sys_audit_delete): (ticket id, deleted at)
    sn_deleted: list[tuple[int, datetime]] = field(default_factory=list)
    next_link: bool = False
    _last: dict[str, tuple[int, bytes, dict]] = field(default_factory=dict)

    def sorted(self) -> list[Ticket]:
        return sorted(self.tickets, key=lambda t: (t.updated, t.id))

    def upd(self, t: Ticket) -> datetime:
        from datetime import timedelta

        return t.updated - timedelta(hours=1) if self.backwards else t.updated

    # -- vendors ------------------------------------------------------------------------------
    def zendesk(self, q: dict) -> dict:
        rows = self.sorted()
        if "cursor" in q:  # like Zendesk's: the last (updated, id) served, stable as data changes
            at, _, ident = base64.b64decode(q["cursor"]).decode().partition("|")
            last = (datetime.fromisoformat(at), int(ident))
            start = next((i for i, t in enumerate(rows) if (t.updated, t.id) > last), len(rows))
        else:
            since = datetime.fromtimestamp(int(q["start_time"]), UTC)
            start = next((i for i, t in enumerate(rows) if t.updated >= since), len(rows))
        page = rows[start : start + self.page_size]
        end = start + len(page)
        return {
            "tickets": [
                {
                    "id": t.id,
                    "created_at": _z(t.created),
                    "updated_at": _z(self.upd(t)),
                    "priority": t.priority,
                    "status": t.status,
                    "organization_id": 77,
                }
                for t in page
            ],
            "metric_sets": [
                {
                    "id": 9000 + t.id,
                    "ticket_id": t.id,
                    "replied_at": _z(t.responded),
                    "solved_at": _z(t.solved),
                    "status_updated_at": _z(t.updated),
                }
                for t in page
            ],
            "after_cursor": base64.b64encode(
                (
                    f"{page[-1].updated.isoformat()}|{page[-1].id}"
                    if page
                    else (q.get("cursor") and base64.b64decode(q["cursor"]).decode())
                    or f"{datetime.fromtimestamp(int(q['start_time']), UTC).isoformat()}|0"
                ).encode()
            ).decode(),
            "after_url": None,
            "end_of_stream": end >= len(rows),
        }

    def zendesk_metric_events(self, q: dict) -> dict:
        """The incremental ticket metric events export, as Zendesk documents its events: first
        reply (reply_time fulfill), pauses (agent_work_time pause, with requester_wait_time
        pause for pending), resumes (activate), solves (fulfill)."""
        events = []
        for t in self.tickets:
            events.append((t.created, t.id, "agent_work_time", "activate"))
            if t.responded:
                events.append((t.responded, t.id, "reply_time", "fulfill"))
            for at, status in t.changes:
                if status in ("pending", "hold"):
                    events.append((at, t.id, "agent_work_time", "pause"))
                    if status == "pending":
                        events.append((at, t.id, "requester_wait_time", "pause"))
                elif status == "open":
                    events.append((at, t.id, "agent_work_time", "activate"))
                elif status == "solved":
                    events.append((at, t.id, "agent_work_time", "fulfill"))
                    events.append((at, t.id, "resolution_time", "fulfill"))
        since = datetime.fromtimestamp(int(q["start_time"]), UTC)
        rows = sorted(e for e in events if e[0] >= since)
        size = self.page_size * 3
        page = rows[:size]
        out: dict = {
            "ticket_metric_events": [
                {
                    "id": 50_000 + n,
                    "ticket_id": tid,
                    "metric": metric,
                    "instance_id": 1,
                    "type": kind,
                    "time": _z(at),
                }
                for n, (at, tid, metric, kind) in enumerate(page)
            ],
            "count": len(page),
            "end_of_stream": len(rows) <= size,
        }
        out["next_page"] = (
            None
            if out["end_of_stream"]
            else "https://acme.zendesk.com/api/v2/incremental/ticket_metric_events.json"
            f"?start_time={int(page[-1][0].timestamp())}"
        )
        return out

    def servicenow_audit(self, q: dict) -> dict:
        m = re.match(
            r"tablename=incident\^documentkeyIN([^^]+)\^fieldnameINstate,incident_state,priority"
            r"\^ORDERBYsys_created_on$",
            q["sysparm_query"],
        )
        assert m, q
        wanted = set(m.group(1).split(","))
        rows = sorted(
            (at, f"sys{t.id:06d}", SN_STATE[status])
            for t in self.tickets
            if f"sys{t.id:06d}" in wanted
            for at, status in [(t.created, "open"), *t.changes]
        )
        off, lim = int(q.get("sysparm_offset", 0)), int(q["sysparm_limit"])
        return {
            "result": [
                {
                    "documentkey": key,
                    "fieldname": "state",
                    "newvalue": value,
                    "sys_created_on": _sn(at),
                }
                for at, key, value in rows[off : off + lim]
            ]
        }

    def servicenow_audit_delete(self, q: dict) -> dict:
        m = re.match(
            r"tablename=incident\^sys_created_on>=(.+?)\^ORDERBYsys_created_on$", q["sysparm_query"]
        )
        assert m, q
        since = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        rows = sorted((at, i) for i, at in self.sn_deleted if at >= since)
        off, lim = int(q.get("sysparm_offset", 0)), int(q["sysparm_limit"])
        return {
            "result": [
                {
                    "documentkey": f"sys{i:06d}",
                    "display_value": f"INC{i:07d}",
                    "sys_created_on": _sn(at),
                }
                for at, i in rows[off : off + lim]
            ]
        }

    def _since(self, text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)

    def servicenow(self, q: dict) -> dict:
        m = re.match(r"sys_updated_on>=(.+?)\^ORDERBYsys_updated_on$", q["sysparm_query"])
        assert m, q
        since = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        rows = [t for t in self.sorted() if self.upd(t) >= since]
        off, lim = int(q.get("sysparm_offset", 0)), int(q["sysparm_limit"])
        return {
            "result": [
                {
                    "sys_id": f"sys{t.id:06d}",
                    "number": f"INC{t.id:07d}",
                    "opened_at": _sn(t.created),
                    "work_start": _sn(t.responded),
                    "resolved_at": _sn(t.solved),
                    "closed_at": "",
                    "priority": SN_PRIORITY[t.priority],
                    "state": SN_STATE[t.status],
                    "sys_updated_on": _sn(self.upd(t)),
                    "company": "",
                }
                for t in rows[off : off + min(lim, self.page_size)]
            ]
        }

    def jira(self, q: dict) -> dict:
        m = re.match(
            r'updated >= "(\d{4}/\d\d/\d\d \d\d:\d\d)" ORDER BY (updated|key) ASC$', q["jql"]
        )
        assert m, q
        since = datetime.strptime(m.group(1), "%Y/%m/%d %H:%M").replace(tzinfo=UTC)
        if m.group(2) == "key":  # a listing of keys only (fields=key), as large pages as asked
            assert q.get("fields") == "key", q
            listed = sorted(t.id for t in self.tickets if self.upd(t) >= since)
            start, size = int(q.get("nextPageToken", "0")), min(int(q["maxResults"]), 5000)
            keys: dict = {
                "issues": [
                    {"id": str(10000 + i), "key": f"SUP-{i}"} for i in listed[start : start + size]
                ],
                "isLast": start + size >= len(listed),
            }
            if start + size < len(listed):
                keys["nextPageToken"] = str(start + size)
            return keys
        rows = [t for t in self.sorted() if self.upd(t) >= since]
        start = int(q.get("nextPageToken", "0"))
        page = rows[start : start + self.page_size]
        end = start + len(page)
        out: dict = {
            "issues": [
                {
                    "id": str(10000 + t.id),
                    "key": f"SUP-{t.id}",
                    "fields": {
                        "created": _jira(t.created),
                        "updated": _jira(self.upd(t)),
                        "resolutiondate": _jira(t.solved),
                        "priority": {"name": JIRA_PRIORITY[t.priority]},
                        "status": {"name": "Done" if t.solved else "Open"},
                        "customfield_10021": _jira(t.responded),
                    },
                    "changelog": self._changelog(t),
                }
                for t in page
            ],
            "isLast": end >= len(rows),
        }
        if end < len(rows):
            out["nextPageToken"] = str(end)
        return out

    JIRA_STATUS = {"open": "In Progress", "pending": "Waiting for customer", "solved": "Done"}
    jira_changelog_page: int = 100

    def _histories(self, t: Ticket) -> list[dict]:
        return [
            {
                "id": str(70_000 + 1000 * t.id + n),
                "created": _jira(at),
                "items": [
                    {"field": "status", "fieldtype": "jira", "toString": self.JIRA_STATUS[st]}
                ],
            }
            for n, (at, st) in enumerate(t.changes)
        ]

    def _changelog(self, t: Ticket) -> dict:
        """As Jira's search shows it: at most a page of histories, and how many there are."""
        h = self._histories(t)
        return {
            "startAt": 0,
            "maxResults": self.jira_changelog_page,
            "total": len(h),
            "histories": h[: self.jira_changelog_page],
        }

    def jira_changelog(self, issue_id: str, q: dict) -> dict:
        t = next(t for t in self.tickets if str(10000 + t.id) == issue_id)
        h = self._histories(t)
        start, size = int(q.get("startAt", 0)), min(int(q.get("maxResults", 100)), 100)
        return {
            "startAt": start,
            "maxResults": size,
            "total": len(h),
            "isLast": start + size >= len(h),
            "values": h[start : start + size],
        }

    def fresh_tickets(self, q: dict) -> list | dict:
        return self.freshservice(q) if self.fresh == "freshservice" else self.freshdesk(q)

    def _fresh_pool(self, q: dict) -> list[Ticket]:
        """The list the answer is drawn from: the trash with filter=deleted, else the tickets."""
        return self.trash if q.get("filter") == "deleted" else self.tickets

    def freshservice(self, q: dict) -> dict:
        """Freshservice's list of tickets (api.freshservice.com, "List All Tickets"): an object
        {"tickets": [...]}, `updated_since`, `include=stats`, `page`/`per_page` (at most 100),
        ordered by creation (`order_type`, default desc) — there is no order by update."""
        page_no = int(q.get("page", 1))
        since = self._since(q["updated_since"])
        pool = self._fresh_pool(q)
        rows = sorted(
            (t for t in pool if self.upd(t) >= since),
            key=lambda t: (t.created, t.id),
            reverse=q.get("order_type", "desc") != "asc",
        )
        per = min(int(q.get("per_page", 30)), 100, self.page_size)
        self.next_link = len(rows) > page_no * per  # the `Link: rel="next"` header of the answer
        return {
            "tickets": [
                self._fresh_ticket(t, pool is self.trash) | {"subject": f"Ticket {t.id}"}
                for t in rows[(page_no - 1) * per : page_no * per]
            ]
        }

    def freshdesk(self, q: dict) -> list:
        page_no = int(q.get("page", 1))
        if page_no > self.freshdesk_max_page:
            raise PageLimit
        since = self._since(q["updated_since"])
        pool = self._fresh_pool(q)
        rows = [t for t in sorted(pool, key=lambda t: (t.updated, t.id)) if self.upd(t) >= since]
        per = min(int(q.get("per_page", 30)), self.page_size)
        return [
            self._fresh_ticket(t, pool is self.trash)
            for t in rows[(page_no - 1) * per : page_no * per]
        ]

    def _fresh_ticket(self, t: Ticket, deleted: bool) -> dict:
        """A ticket as Freshdesk and Freshservice serve it with include=stats (the same fields)."""
        return {
            "id": t.id,
            "deleted": deleted,
            "created_at": _z(t.created),
            "updated_at": _z(self.upd(t)),
            "priority": FD_PRIORITY[t.priority],
            "status": FD_STATUS[t.status],
            "stats": {
                "first_responded_at": _z(t.responded),
                "resolved_at": _z(t.solved),
                "closed_at": None,
                "pending_since": None,
                "status_updated_at": _z(t.updated),
            },
        }


class PageLimit(Exception):
    pass


ROUTES = {
    "/api/v2/incremental/tickets/cursor.json": "zendesk",
    "/api/v2/incremental/ticket_metric_events.json": "zendesk_metric_events",
    "/api/now/table/sys_audit": "servicenow_audit",
    "/api/now/table/sys_audit_delete": "servicenow_audit_delete",
    "/api/now/table/incident": "servicenow",
    "/rest/api/3/search/jql": "jira",
    "/api/v2/tickets": "fresh_tickets",
}


def serve(desk: HelpDesk) -> tuple[ThreadingHTTPServer, str]:
    """Start the help desk on a free loopback port; returns the server and its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            desk.requests.append(self.path)
            want = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
            if self.headers.get("Authorization") != want:
                return self._send(401, b'{"error": "Couldn\'t authenticate you"}')
            for i, (part, kind, arg) in enumerate(desk.faults):
                if part in parts.path:
                    desk.faults.pop(i)
                    if kind == "429":
                        return self._send(429, b'{"error":"rate"}', {"Retry-After": f"{arg:g}"})
                    if kind == "500":
                        return self._send(500, b'{"error":"boom"}')
                    if kind == "repeat" and parts.path in desk._last:
                        status, body, headers = desk._last[parts.path]
                        return self._send(status, body, headers)
                    break
            if desk.hold.is_set():
                desk.held.set()
                for _ in range(600):  # bounded: at most 60 s
                    if not desk.hold.is_set():
                        break
                    threading.Event().wait(0.1)
            vendor = ROUTES.get(parts.path)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            changelog = re.fullmatch(r"/rest/api/3/issue/(\d+)/changelog", parts.path)
            if changelog:
                body = json.dumps(desk.jira_changelog(changelog.group(1), q)).encode()
                return self._send(200, body)
            if vendor is None:
                return self._send(404, b'{"error":"not found"}')
            try:
                body = json.dumps(getattr(desk, vendor)(q)).encode()
            except PageLimit:
                return self._send(400, b'{"description":"page limit exceeded"}')
            headers = {}
            if desk.next_link:
                desk.next_link = False
                q["page"] = str(int(q.get("page", 1)) + 1)
                headers["Link"] = f'<{parts.path}?{urlencode(q)}>; rel="next"'
            desk._last[parts.path] = (200, body, headers)
            self._send(200, body, headers)

        def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
