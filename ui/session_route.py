"""The one HTTP route Covenant adds to Streamlit's server (serve.py): it sets and clears the
session cookie from the server, so the cookie is HttpOnly (no script in the page can read it)
as well as SameSite=Strict, and Secure over https.

The page (ui/auth.keep_cookie) posts the session token it already holds right after sign-in;
the route sets the cookie only for a live session (asked of the database), only for a request
from the page's own origin, and only for a body under 1 KiB. DELETE clears it at sign-out (the
session itself is revoked on the server first)."""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contracts.adapters.orm import make_engine
from contracts.adapters.unit_of_work import UnitOfWork
from contracts.services.sessions import SESSION_LIFETIME, session_user

COOKIE = "covenant_session"
PATH = "/covenant/session"
MAX_BODY = 1024


@lru_cache(maxsize=1)
def _engine() -> Engine:
    return make_engine()


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # a same-origin fetch may omit it; SameSite and the token still hold
        return True
    proto = request.headers.get("x-forwarded-proto", request.url.scheme)
    host = request.headers.get("x-forwarded-host", request.headers.get("host", ""))
    return origin == f"{proto}://{host}"


def _secure(request: Request) -> bool:
    return request.headers.get("x-forwarded-proto", request.url.scheme) == "https"


async def session_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response("cross-origin request refused", status_code=403)
    if request.method == "DELETE":
        resp = Response(status_code=204)
        resp.delete_cookie(COOKIE, path="/", samesite="strict", httponly=True)
        return resp
    body = await request.body()
    if len(body) > MAX_BODY:
        return Response("request too large", status_code=413)
    try:
        token = json.loads(body or b"{}").get("token")
    except (ValueError, AttributeError):
        return Response("expected a JSON object with the session token", status_code=400)
    if not isinstance(token, str) or not token:
        return Response("no session token", status_code=400)
    user = await run_in_threadpool(session_user, UnitOfWork(_engine()), token)
    if user is None:
        return Response("no live session for this token", status_code=403)
    resp = Response(status_code=204)
    resp.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return resp
