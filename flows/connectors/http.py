"""One HTTP session per run, with what real help-desk APIs demand: 429 and 5xx retried with
exponential backoff and jitter, `Retry-After` honoured (capped), timeouts, bounded tries.

urllib3's Retry (under requests, a maintained pair) does the retrying; only the cap on
Retry-After is ours, so a server asking for an hour cannot stall the worker."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

TRIES = 6  # retries after the first request
MAX_RETRY_AFTER_S = 120.0
TIMEOUT = (10, 60)  # connect, read (seconds)


class CappedRetry(Retry):
    """Retry that waits what the server asks, but never longer than MAX_RETRY_AFTER_S."""

    def get_retry_after(self, response):
        asked = super().get_retry_after(response)
        return None if asked is None else min(asked, MAX_RETRY_AFTER_S)


def session(user: str, secret: str, backoff_s: float = 0.5) -> requests.Session:
    """A session with basic auth (each vendor's documented API-token scheme) and retries."""
    s = requests.Session()
    s.auth = (user, secret)
    s.headers.update({"Accept": "application/json", "User-Agent": "Covenant-Connector"})
    retry = CappedRetry(
        total=TRIES,
        connect=3,
        read=3,
        status=TRIES,
        backoff_factor=backoff_s,
        backoff_jitter=backoff_s / 2,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s
