"""Each vendor's documented incremental pull, as a generator of batches. A batch is the vendor's
own JSON shape (what its profile reads from a file), its record count, and the cursor to save
once the batch is in the store; pulling resumes from any saved cursor.

- zendesk: the incremental cursor export (`/api/v2/incremental/tickets/cursor.json`,
  `start_time`, then `cursor` until `end_of_stream`, `include=metric_sets`); saves `after_cursor`.
  Status history: the incremental ticket metric events export
  (`/api/v2/incremental/ticket_metric_events.json`, `start_time`, `next_page` until
  `end_of_stream`), read first, each event handed with its ticket's batch; the file import's
  metric-events recipe turns them into pauses (added to the stored history: the stream holds only
  new events); saves the events' high water with the last batch.
- servicenow: the Table API (`/api/now/table/incident`, `sys_updated_on>=` ordered by it,
  `sysparm_limit`; `sysparm_offset` only through ties); saves the high water. Status history:
  `sys_audit` (`state` and `priority` of the batch's incidents, 100 at a time), the ticket's whole
  history, which replaces the stored one. Deletions: `sys_audit_delete` (incidents deleted since
  the last deletion read, OVERLAP before), handed as records whose state says deleted.
- jira: `/rest/api/3/search/jql` (`updated >=` ordered by it, `expand=changelog`,
  `nextPageToken` until `isLast`); saves the window and page token, then the high water. An
  issue whose changelog is longer than the search shows is completed from its changelog endpoint.
  Deletions: Jira's search never returns a deleted issue, so once a day the run lists every key
  the search still finds (keys only) and the sync removes the issues it brought that are gone.
- freshdesk: `/api/v2/tickets` (`updated_since`, `include=stats`, ordered by `updated_at`;
  each page asks from the last `updated_at` read, so its 300-page limit is never reached except
  by ties); saves the high water. Deletions: the trash (`filter=deleted`, since the window's
  start), read after the tickets and handed on as deleted.

- freshservice: `/api/v2/tickets` (`updated_since`, `include=stats`, `order_type=asc`: ordered by
  creation — Freshservice offers no order by update —, `page`/`per_page` 100 while the answer's
  `Link` header names a next page);
  saves the window and the page to resume from, then the high water. Ordered by creation, a
  ticket updated during the run keeps its place and a new one is added at the end; a ticket
  deleted during the run moves the later ones up by one, so a resumed run starts a page early.
  Deletions: the trash, as for Freshdesk.

ServiceNow and Freshdesk are paged by keyset (`_keyset`), not by offset: an offset into a list
ordered by update time skips a ticket whenever another is updated during the run. Time-windowed
vendors start each run OVERLAP before the last high water: a ticket updated
while the previous window was read is read again, and reading it twice is harmless (the ingest
keys tickets by contract and id). A high water never moves backwards, whatever a server sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import requests

from flows.errors import FlowError
from sla_engine.ingest.profiles.status_evidence import status_names

OVERLAP = timedelta(minutes=5)
PAGE = {"servicenow": 1000, "jira": 100, "freshdesk": 100, "freshservice": 100}
FRESHDESK_MAX_PAGE = 300  # Freshdesk refuses pages beyond this (reached only by ties)
MAX_PAGES = 100_000  # a bound on any loop over a server's pages


class ConnectorError(FlowError):
    """A help desk answered in a way a sync cannot go on from (said in plain words)."""


@dataclass
class Batch:
    document: Any  # the vendor's JSON shape, read by its profile like an export file
    records: int
    cursor: dict  # save this once the batch is in the store
    # the status history of the batch's tickets, as the file import's second file: rows of one
    # companion shape (profiles/companions.py); `appends` when it holds only new changes
    history: list[dict] = field(default_factory=list)
    appends: bool = False
    # every ticket id the help desk lists now (a reconciliation, for a vendor whose incremental
    # API never shows a deletion): the tickets this connection brought that it no longer lists
    # were deleted there (flows/connectors/sync.py decides and guards)
    present: list[str] | None = None


PROFILE = {
    "zendesk": "zendesk",
    "servicenow": "servicenow",
    "jira": "jsm",
    "freshdesk": "freshdesk",
    "freshservice": "freshdesk",  # the same ticket fields, status and priority numbers
}
TIMEZONE = {"servicenow": "UTC"}  # the Table API's stored values are UTC with no offset


def _get(s: requests.Session, url: str, params: dict | None = None) -> Any:
    return _get_linked(s, url, params)[0]


def _get_linked(s: requests.Session, url: str, params: dict | None = None) -> tuple[Any, bool]:
    """The answer's JSON, and whether its `Link` header names a next page (RFC 8288)."""
    try:
        r = s.get(url, params=params, timeout=(10, 60))
    except requests.RequestException as exc:
        raise ConnectorError(f"{url.split('?')[0]}: {type(exc).__name__}: {exc}") from exc
    if r.status_code in (401, 403):
        raise ConnectorError(
            f"{url.split('?')[0]}: HTTP {r.status_code}: the help desk refused the credentials"
        )
    if r.status_code >= 400:
        raise ConnectorError(
            f"{url.split('?')[0]}: HTTP {r.status_code} after retries: {r.text[:200]}"
        )
    try:
        return r.json(), "next" in r.links
    except ValueError as exc:
        raise ConnectorError(f"{url.split('?')[0]}: the answer is not JSON") from exc


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: Any) -> datetime | None:
    if text in (None, ""):
        return None
    try:
        ts = pd.Timestamp(str(text))
    except ValueError:
        return None
    if ts is pd.NaT:
        return None
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def _higher(a: str | None, seen: list[datetime | None]) -> str | None:
    """The high water: the latest of the saved one and every instant seen, never lower."""
    best = _instant(a) if a else None
    for t in seen:
        if t is not None and (best is None or t > best):
            best = t
    return _iso(best) if best else a


def _window_start(cursor: dict, since: datetime) -> datetime:
    high = _instant(cursor.get("high_water"))
    return max(high - OVERLAP, since) if high else since


def _zendesk_metric_events(
    s: requests.Session, base: str, start: datetime
) -> tuple[dict[str, list[dict]], str | None]:
    """Every ticket metric event since `start`, by ticket id, and the latest event time read."""
    url = f"{base}/api/v2/incremental/ticket_metric_events.json"
    params: dict[str, Any] = {"start_time": int(start.timestamp())}
    by_ticket: dict[str, list[dict]] = {}
    high: str | None = None
    for _ in range(MAX_PAGES):
        page = _get(s, url, params)
        events = page.get("ticket_metric_events") if isinstance(page, dict) else None
        if not isinstance(events, list):
            raise ConnectorError(f"{url}: the answer has no ticket_metric_events list")
        for e in events:
            if isinstance(e, dict) and e.get("ticket_id") is not None and e.get("time"):
                by_ticket.setdefault(str(e["ticket_id"]), []).append(
                    {
                        k: e.get(k)
                        for k in ("id", "ticket_id", "metric", "instance_id", "type", "time")
                    }
                )
        high = _higher(high, [_instant(e.get("time")) for e in events if isinstance(e, dict)])
        nxt = page.get("next_page")
        if page.get("end_of_stream") or not events or not isinstance(nxt, str):
            return by_ticket, high
        # follow the next page's start_time, never its host: the base URL is the one trusted
        step = parse_qs(urlsplit(nxt).query).get("start_time")
        if not step or not step[0].isdigit():
            raise ConnectorError(f"{url}: next_page has no start_time")
        if int(step[0]) <= int(params["start_time"]):
            raise ConnectorError(
                f"{url}: a whole page of metric events at one second "
                f"({int(params['start_time'])}); Zendesk's time-based export cannot page past it"
            )
        params = {"start_time": int(step[0])}
    raise ConnectorError(f"{url}: more than {MAX_PAGES} pages in one run")


def zendesk(s: requests.Session, base: str, cursor: dict, since: datetime) -> Iterator[Batch]:
    url = f"{base}/api/v2/incremental/tickets/cursor.json"
    events_high = cursor.get("events_high_water")
    events_start = _instant(events_high)
    changes, events_now = _zendesk_metric_events(
        s, base, max(events_start - OVERLAP, since) if events_start else since
    )
    events_now = _higher(events_high, [_instant(events_now)])
    params: dict[str, Any] = {"include": "metric_sets"}
    if cursor.get("after_cursor"):
        params["cursor"] = cursor["after_cursor"]
    else:
        params["start_time"] = int(since.timestamp())
    for _ in range(MAX_PAGES):
        page = _get(s, url, params)
        if not isinstance(page, dict) or not isinstance(page.get("tickets"), list):
            raise ConnectorError(f"{url}: the answer has no tickets list")
        after = page.get("after_cursor") or cursor.get("after_cursor")
        doc = {"tickets": page["tickets"], "metric_sets": page.get("metric_sets") or []}
        last = bool(page.get("end_of_stream") or not page.get("after_cursor"))
        # a ticket's events go with the first batch that carries the ticket; the events of
        # tickets not in this run were read with their ticket in an earlier run (the overlap)
        history = [
            e
            for t in page["tickets"]
            if isinstance(t, dict)
            for e in changes.pop(str(t.get("id")), [])
        ]
        saved = {"after_cursor": after, "events_high_water": events_now if last else events_high}
        yield Batch(doc, len(page["tickets"]), saved, history, appends=True)
        if last:
            return
        params = {"include": "metric_sets", "cursor": page["after_cursor"]}
    raise ConnectorError(f"{url}: more than {MAX_PAGES} pages in one run")


def _keyset(
    fetch: Callable[[datetime, int], list[dict]],
    ident: Callable[[dict], Any],
    updated: Callable[[dict], datetime | None],
    wrap: Callable[[list[dict]], Any],
    start: datetime,
    high: str | None,
) -> Iterator[Batch]:
    """Keyset paging over `updated >= ts` ordered by it: each page asks from the latest time
    already read (never by offset into a list that shifts as tickets are updated during the run),
    drops records this run has read, and steps a page further only while every record of a page
    shares one instant. A page with nothing new, asked twice, ends the run; the saved high water
    is the latest time stored, so the next run (OVERLAP before it) misses nothing."""
    ts, step, asked_again = start, 0, False
    seen: set = set()
    for _ in range(MAX_PAGES):
        rows = fetch(ts, step)
        times = [updated(r) for r in rows]
        new = [r for r in rows if ident(r) not in seen]
        seen.update(ident(r) for r in rows)
        high = _higher(high, times)
        if new:
            yield Batch(wrap(new), len(new), {"high_water": high})
        known = [t for t in times if t is not None]
        if rows and known and min(known) == max(known) == ts:
            step += 1  # a page of ties at ts: the next page of the same instant
        elif new and known and max(known) > ts:
            ts, step, asked_again = max(known), 0, False
        elif rows and not new and not asked_again:
            asked_again = True  # a page served twice: ask once more before ending the run
        else:
            if not new:
                yield Batch(wrap([]), 0, {"high_water": high})
            return
    raise ConnectorError(f"more than {MAX_PAGES} pages in one run")


SN_AUDIT_FIELDS = {"state": "status", "incident_state": "status", "priority": "severity"}
SN_AUDIT_CHUNK = 100  # incidents per sys_audit request: the query stays a short URL


def _servicenow_history(s: requests.Session, base: str, rows: list[dict]) -> list[dict]:
    """The state and priority changes of `rows` from `sys_audit`, as status history rows."""
    url = f"{base}/api/now/table/sys_audit"
    number = {r["sys_id"]: r.get("number") or r["sys_id"] for r in rows if r.get("sys_id")}
    ids = sorted(number)
    out: list[dict] = []
    for k in range(0, len(ids), SN_AUDIT_CHUNK):
        query = (
            "tablename=incident^documentkeyIN"
            + ",".join(ids[k : k + SN_AUDIT_CHUNK])
            + "^fieldnameINstate,incident_state,priority^ORDERBYsys_created_on"
        )
        fields = "documentkey,fieldname,newvalue,sys_created_on"
        for a in _servicenow_rows(s, url, query, fields):
            what = SN_AUDIT_FIELDS.get(str(a.get("fieldname")))
            if what is None or a.get("documentkey") not in number or not a.get("sys_created_on"):
                continue
            value = str(a.get("newvalue") or "")
            if what == "status":
                value = str(status_names("servicenow", pd.Series([value])).iloc[0])
            out.append(
                {
                    "ticket_id": number[a["documentkey"]],
                    "changed_at": a["sys_created_on"],
                    "field": what,
                    "value": value,
                }
            )
    return out


def _servicenow_rows(s: requests.Session, url: str, query: str, fields: str) -> Iterator[dict]:
    """Every row a Table API query answers, page by page (`sysparm_offset`) until a short page:
    for tables only ever added to in the order asked (sys_audit, sys_audit_delete), where an
    offset skips nothing."""
    for step in range(MAX_PAGES):
        page = _get(
            s,
            url,
            {
                "sysparm_query": query,
                "sysparm_fields": fields,
                "sysparm_limit": PAGE["servicenow"],
                "sysparm_offset": step * PAGE["servicenow"],
            },
        )
        got = page.get("result") if isinstance(page, dict) else None
        if not isinstance(got, list):
            raise ConnectorError(f"{url}: the answer has no result list")
        yield from (r for r in got if isinstance(r, dict))
        if len(got) < PAGE["servicenow"]:
            return
    raise ConnectorError(f"{url}: more than {MAX_PAGES} pages in one run")


def servicenow(s: requests.Session, base: str, cursor: dict, since: datetime) -> Iterator[Batch]:
    url = f"{base}/api/now/table/incident"

    def fetch(ts: datetime, step: int) -> list[dict]:
        stamp = ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        page = _get(
            s,
            url,
            {
                "sysparm_query": f"sys_updated_on>={stamp}^ORDERBYsys_updated_on",
                "sysparm_limit": PAGE["servicenow"],
                "sysparm_offset": step * PAGE["servicenow"],
                "sysparm_exclude_reference_link": "true",
            },
        )
        rows = page.get("result") if isinstance(page, dict) else None
        if not isinstance(rows, list):
            raise ConnectorError(f"{url}: the answer has no result list")
        return rows

    deletes_high = cursor.get("deletes_high_water")
    high = cursor.get("high_water")
    for b in _keyset(
        fetch,
        lambda r: r.get("sys_id") or r.get("number"),
        lambda r: _instant(r.get("sys_updated_on")),
        lambda rows: {"result": rows},
        _window_start(cursor, since),
        high,
    ):
        b.history = _servicenow_history(s, base, b.document["result"])
        high = b.cursor.get("high_water")
        b.cursor = {**b.cursor, "deletes_high_water": deletes_high}
        yield b
    gone, deletes_now = _servicenow_deletions(
        s, base, _window_start({"high_water": deletes_high}, since)
    )
    if gone:
        yield Batch(
            {"result": gone},
            len(gone),
            {"high_water": high, "deletes_high_water": _higher(deletes_high, [deletes_now])},
        )


SN_DELETED = "deleted"  # the state a deletion record carries (status_evidence: servicenow)


def _servicenow_deletions(
    s: requests.Session, base: str, start: datetime
) -> tuple[list[dict], datetime | None]:
    """Incidents deleted since `start`, from `sys_audit_delete` (ServiceNow records each deleted
    record there; the Table API lists only records that exist), as records whose state says
    deleted — the ingest then drops them from the store —, and the latest deletion time read.
    Ordered by creation and only ever added to, so paging by offset skips nothing."""
    url = f"{base}/api/now/table/sys_audit_delete"
    stamp = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    out: list[dict] = []
    latest: datetime | None = None
    query = f"tablename=incident^sys_created_on>={stamp}^ORDERBYsys_created_on"
    for d in _servicenow_rows(s, url, query, "documentkey,display_value,sys_created_on"):
        if not d.get("display_value"):
            continue  # a deletion with no number names no ticket of ours
        at = d.get("sys_created_on") or ""
        latest = max(filter(None, [latest, _instant(at)]), default=None)
        out.append(
            dict.fromkeys(SN_INCIDENT_FIELDS, "")
            | {
                "sys_id": d.get("documentkey") or "",
                "number": d["display_value"],
                "state": SN_DELETED,
                "sys_updated_on": at,
            }
        )
    return out, latest


# the incident fields a deletion record carries empty, so a batch of deletions alone has the
# columns the servicenow profile reads
SN_INCIDENT_FIELDS = ("opened_at", "work_start", "resolved_at", "closed_at", "priority", "company")


def _whole_changelog(s: requests.Session, base: str, issue: dict) -> None:
    """A search answer carries at most a page of an issue's changelog (`total` says how long it
    is): the rest comes from `/rest/api/3/issue/{id}/changelog`, paged by `startAt` until
    `isLast`, so a long-lived ticket's early pauses are never lost."""
    log = issue.get("changelog")
    if not isinstance(log, dict):
        return
    shown = log.get("histories")
    histories: list = shown if isinstance(shown, list) else []
    total = log.get("total")
    if not isinstance(total, int) or total <= len(histories) or not issue.get("id"):
        return
    url = f"{base}/rest/api/3/issue/{issue['id']}/changelog"
    whole: list = []
    for _ in range(MAX_PAGES):
        page = _get(s, url, {"startAt": len(whole), "maxResults": PAGE["jira"]})
        values = page.get("values") if isinstance(page, dict) else None
        if not isinstance(values, list):
            raise ConnectorError(f"{url}: the answer has no values list")
        whole.extend(values)
        if page.get("isLast", True) or not values or len(whole) >= total:
            break
    log["histories"], log["total"] = whole, len(whole)


def jira(s: requests.Session, base: str, cursor: dict, since: datetime) -> Iterator[Batch]:
    url = f"{base}/rest/api/3/search/jql"
    start = _instant(cursor.get("window")) or _window_start(cursor, since)
    token = cursor.get("token")
    high = cursor.get("high_water")
    listed = cursor.get("keys_listed_at")
    jql = f'updated >= "{start.astimezone(UTC).strftime("%Y/%m/%d %H:%M")}" ORDER BY updated ASC'
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {
            "jql": jql,
            "fields": "*all",
            "expand": "changelog",
            "maxResults": PAGE["jira"],
        }
        if token:
            params["nextPageToken"] = token
        page = _get(s, url, params)
        issues = page.get("issues") if isinstance(page, dict) else None
        if not isinstance(issues, list):
            raise ConnectorError(f"{url}: the answer has no issues list")
        for issue in issues:
            _whole_changelog(s, base, issue)
        high = _higher(high, [_instant((i.get("fields") or {}).get("updated")) for i in issues])
        token = page.get("nextPageToken")
        last = bool(page.get("isLast", not token)) or not token
        after = (
            {"high_water": high}
            if last
            else {"window": _iso(start), "token": token, "high_water": high}
        )
        yield Batch({"issues": issues}, len(issues), {**after, "keys_listed_at": listed})
        if last:
            break
    else:
        raise ConnectorError(f"{url}: more than {MAX_PAGES} pages in one run")
    now = datetime.now(UTC)
    due = _instant(listed)
    if due is None or now - due >= JIRA_KEYS_EVERY:
        keys = _jira_keys(s, base, since)
        yield Batch(
            {"issues": []}, 0, {"high_water": high, "keys_listed_at": _iso(now)}, present=keys
        )


JIRA_KEYS_EVERY = timedelta(hours=24)
JIRA_KEYS_PAGE = 5000  # the search's page when it returns keys only


def _jira_keys(s: requests.Session, base: str, since: datetime) -> list[str]:
    """Every issue key the connection's search still finds (`updated >= since`, keys only): Jira's
    search never returns a deleted issue and offers no list of deletions, so an issue this
    connection brought and no longer finds was deleted (read once a day, JIRA_KEYS_EVERY)."""
    url = f"{base}/rest/api/3/search/jql"
    jql = f'updated >= "{since.astimezone(UTC).strftime("%Y/%m/%d %H:%M")}" ORDER BY key ASC'
    keys: list[str] = []
    token = None
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"jql": jql, "fields": "key", "maxResults": JIRA_KEYS_PAGE}
        if token:
            params["nextPageToken"] = token
        page = _get(s, url, params)
        issues = page.get("issues") if isinstance(page, dict) else None
        if not isinstance(issues, list):
            raise ConnectorError(f"{url}: the answer has no issues list")
        keys.extend(str(i["key"]) for i in issues if isinstance(i, dict) and i.get("key"))
        token = page.get("nextPageToken")
        if page.get("isLast", not token) or not token:
            return keys
    raise ConnectorError(f"{url}: more than {MAX_PAGES} pages of keys in one run")


def freshdesk(s: requests.Session, base: str, cursor: dict, since: datetime) -> Iterator[Batch]:
    url = f"{base}/api/v2/tickets"

    def fetch(ts: datetime, step: int) -> list[dict]:
        if step + 1 > FRESHDESK_MAX_PAGE:
            raise ConnectorError(
                f"{url}: more than {FRESHDESK_MAX_PAGE} pages of tickets updated at one instant "
                f"({_iso(ts)}); Freshdesk serves no more"
            )
        rows = _get(
            s,
            url,
            {
                "updated_since": _iso(ts),
                "include": "stats",
                "order_by": "updated_at",
                "order_type": "asc",
                "per_page": PAGE["freshdesk"],
                "page": step + 1,
            },
        )
        if not isinstance(rows, list):
            raise ConnectorError(f"{url}: the answer is not a list of tickets")
        return rows

    start = _window_start(cursor, since)
    after = {"high_water": cursor.get("high_water")}
    for b in _keyset(
        fetch,
        lambda r: r.get("id"),
        lambda r: _instant(r.get("updated_at")),
        lambda rows: {"tickets": rows},
        start,
        cursor.get("high_water"),
    ):
        after = b.cursor
        yield b
    trashed = _fresh_trash(s, url, start)
    if trashed:
        yield Batch({"tickets": trashed}, len(trashed), after)


def _fresh_trash(s: requests.Session, url: str, start: datetime) -> list[dict]:
    """Tickets moved to the trash since `start` (Freshdesk's and Freshservice's `filter=deleted`:
    the list never shows them otherwise), each marked deleted for the profile, which then removes
    the stored ticket."""
    out: list[dict] = []
    for page_no in range(1, FRESHDESK_MAX_PAGE + 1):
        page, more = _get_linked(
            s,
            url,
            {
                "filter": "deleted",
                "updated_since": _iso(start),
                "per_page": PAGE["freshdesk"],
                "page": page_no,
            },
        )
        rows = page.get("tickets") if isinstance(page, dict) else page
        if not isinstance(rows, list):
            raise ConnectorError(f"{url}: the answer holds no list of deleted tickets")
        out += [{**r, "status": "deleted"} for r in rows if isinstance(r, dict) and "id" in r]
        if not rows or (not more and len(rows) < PAGE["freshdesk"]):
            return out
    return out


def freshservice(s: requests.Session, base: str, cursor: dict, since: datetime) -> Iterator[Batch]:
    url = f"{base}/api/v2/tickets"
    start = _instant(cursor.get("window")) or _window_start(cursor, since)
    # a resumed window starts a page early: a deletion since may have moved tickets up by one
    page_no = max(int(cursor.get("page") or 1) - 1, 1)
    high = cursor.get("high_water")
    seen: set = set()
    asked_again = False
    for _ in range(MAX_PAGES):
        page, more = _get_linked(
            s,
            url,
            {
                "updated_since": _iso(start),
                "include": "stats",
                "order_type": "asc",
                "per_page": PAGE["freshservice"],
                "page": page_no,
            },
        )
        rows = page.get("tickets") if isinstance(page, dict) else None
        if not isinstance(rows, list):
            raise ConnectorError(f"{url}: the answer has no tickets list")
        new = [r for r in rows if isinstance(r, dict) and r.get("id") not in seen]
        seen.update(r.get("id") for r in new)
        if rows and not new and more and not asked_again:
            asked_again = True  # a page served twice: ask for the same page once more
            continue
        asked_again = False
        high = _higher(high, [_instant(r.get("updated_at")) for r in new])
        last = not more or not rows  # the last page's answer names no next one
        after = (
            {"high_water": high}
            if last
            else {"window": _iso(start), "page": page_no + 1, "high_water": high}
        )
        yield Batch({"tickets": new}, len(new), after)
        if last:
            break
        page_no += 1
    else:
        raise ConnectorError(f"{url}: more than {MAX_PAGES} pages in one run")
    trashed = _fresh_trash(s, url, start)
    if trashed:
        yield Batch({"tickets": trashed}, len(trashed), {"high_water": high})


PULL = {
    "zendesk": zendesk,
    "servicenow": servicenow,
    "jira": jira,
    "freshdesk": freshdesk,
    "freshservice": freshservice,
}
