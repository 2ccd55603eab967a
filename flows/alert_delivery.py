"""What an alert says and how it reaches its channels: the message (every instant in the
contract's zone), its e-mail text, and a webhook's delivery — Standard Webhooks (JSON body;
`webhook-id` stable across retries, `webhook-timestamp`, `webhook-signature` = `v1,` base64
HMAC-SHA256 of "id.timestamp.body" with the rule's secret), a Slack or Teams message, or any
apprise channel — with bounded retries (5xx, 429 and timeouts; exponential backoff with jitter).
flows/alerts.py decides what is due and records it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlencode

import pandas as pd

from contracts.errors import SettingsError
from contracts.services import alert_rules
from contracts.services.alert_rules import AlertRule, Threshold

ATTEMPTS = 4  # webhook tries per alert
FIRST_BACKOFF_S = 0.5  # then doubling, each with up to 50 % jitter
TIMEOUT_S = 10
METRIC_WORDS = {"response": "first response", "resolution": "resolution"}


def local_time(instant_iso: str, zone: str) -> str:
    if not instant_iso:
        return ""
    ts = pd.Timestamp(instant_iso).tz_convert(zone)
    return ts.strftime("%Y-%m-%d %H:%M ") + ts.strftime("%z")[:3] + ":" + ts.strftime("%z")[3:]


def message(rule: AlertRule, t: Threshold, row: pd.Series, zone: str, base: str) -> dict:
    month = str(row["created_at"])[:7]
    link = f"{base}/compliance?" + urlencode(
        {
            "contract": row["contract_id"],
            "tier": row["tier"],
            "metric": row["metric"],
            "month": month,
        }
    )
    what = {
        "share": f"{t.value:.0f} % of its target used",
        "before": f"{t.value:.0f} minutes or less before its breach",
        "breach": "breached",
    }[t.kind]
    return {
        "type": "sla.alert",
        "rule": rule.name,
        "threshold": t.text,
        "contract": row["contract_id"],
        "ticket": row["ticket_id"],
        "tier": row["tier"],
        "metric": row["metric"],
        "target_minutes": float(row["target_minutes"]),
        "used_minutes": float(row["counted_minutes"]),
        "remaining_minutes": float(row["remaining_minutes"]),
        "breaches_at": local_time(str(row["breaches_at"] or ""), zone) or None,
        "breached": bool(row["breached_now"]),
        "timezone": zone,
        "summary": (
            f"{row['contract_id']} ticket {row['ticket_id']} ({row['tier']}, "
            f"{METRIC_WORDS.get(row['metric'], row['metric'])}): {what}: "
            f"{float(row['counted_minutes']):,.0f} of {float(row['target_minutes']):,.0f} "
            "minutes used on the tier's clock"
            + (
                f"; breaches at {local_time(str(row['breaches_at']), zone)}"
                if row["breaches_at"]
                else ""
            )
        ),
        "timeline_url": link,
        "ticket_url": rule.ticket_url.replace("{ticket}", str(row["ticket_id"]))
        if rule.ticket_url
        else None,
    }


def mail_body(msg: dict) -> str:
    lines = [
        msg["summary"] + ".",
        "",
        f"Contract: {msg['contract']}   Tier: {msg['tier']}   Metric: {msg['metric']}",
        f"Target: {msg['target_minutes']:,.0f} min   Used: {msg['used_minutes']:,.0f} min "
        "(on the tier's clock)",
    ]
    if msg["breaches_at"]:
        lines.append(f"Breaches at: {msg['breaches_at']} ({msg['timezone']})")
    lines += ["", f"Its timeline in Covenant: {msg['timeline_url']}"]
    if msg["ticket_url"]:
        lines.append(f"The ticket in the help desk: {msg['ticket_url']}")
    lines += ["", f"Alert rule: {msg['rule']} (threshold {msg['threshold']})."]
    return "\n".join(lines) + "\n"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: v1,base64(HMAC-SHA256(key, "id.timestamp.body")), key = the secret's
    bytes after `whsec_`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


Post = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - checked URL
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def apprise_notify(url: str, title: str, body: str) -> bool:
    """One notification through apprise (Slack, Teams, Discord, generic JSON/XML/form, …);
    apprise answers only delivered or not, so every failure is retried like a 5xx."""
    import apprise  # imported here: only rules that use it pay for it

    sender = apprise.Apprise()
    return bool(sender.add(url)) and bool(sender.notify(title=title, body=body))


def deliver(
    rule: AlertRule, secret: str | None, msg_id: str, msg: dict, post: Post, sleep: Callable
) -> str:
    """'delivered' or 'dead: why' after at most ATTEMPTS tries (5xx, 429 and timeouts retried).

    For Slack, Teams and apprise the address is the sealed secret (the rule shows it redacted);
    a rule from before addresses were sealed still holds it in webhook_url."""
    kind = rule.webhook_kind
    address = secret if kind in alert_rules.ADDRESS_IS_SECRET and secret else rule.webhook_url
    assert address is not None
    if kind == "standard":
        body = json.dumps(msg, sort_keys=True).encode()
    else:  # Slack and Teams incoming webhooks take a text
        body = json.dumps({"text": f"SLA alert: {msg['summary']}. {msg['timeline_url']}"}).encode()
    why = ""
    for attempt in range(ATTEMPTS):
        try:  # checked before each try: a name can be re-pointed
            if kind == "apprise":
                alert_rules.check_apprise(address)
            else:
                alert_rules.check_target(address)
        except SettingsError as exc:
            return f"dead: {exc}"[:40]
        if kind == "apprise":
            title = f"SLA alert: {msg.get('contract', '')} {msg.get('ticket', '')}".strip()
            ok = apprise_notify(address, title, f"{msg['summary']}. {msg['timeline_url']}")
            if ok:
                return "delivered"
            why = "apprise could not deliver"
        else:
            headers = {"Content-Type": "application/json", "User-Agent": "Covenant-Alerts"}
            if kind == "standard" and secret:
                ts = int(time.time())
                headers |= {
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(ts),
                    "webhook-signature": sign(secret, msg_id, ts, body),
                }
            try:
                status = post(address, body, headers)
            except OSError as exc:  # refused, reset, timed out
                status, why = 0, type(exc).__name__
            if 200 <= status < 300:
                return "delivered"
            if status and status < 500 and status != 429:
                return f"dead: HTTP {status}"
            why = f"HTTP {status}" if status else why
        if attempt < ATTEMPTS - 1:
            backoff = FIRST_BACKOFF_S * 2**attempt
            sleep(backoff * (1 + random.random() / 2))
    return f"dead: {why} after {ATTEMPTS} tries"[:40]
