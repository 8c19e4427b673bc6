"""The dashboard server's two sign-in routes (Starlette, served beside Streamlit's own by
``dashboard/serve.py``): they set and clear the session cookie, which a Streamlit script
cannot do (it talks to the browser over a WebSocket, where no response carries a cookie).

- ``POST <base>/_safer/session``, body: a sign-in's one-time hand-off code
  (``dashboard.sessions``) → 204 and ``Set-Cookie: safer_session=<token>; HttpOnly;
  SameSite=Strict; Path=/`` (``Secure`` when the page came over https), lasting the
  absolute expiry; 400 for a used, expired or forged code.
- ``POST <base>/_safer/forget`` → 204, the cookie deleted if its session is over (signed
  out, expired): the page calls it after a sign-out, which ended the session itself; a
  cookie of a live session (another tab signed in since) is kept.

Both refuse (403) a request whose ``Origin`` is not the server's own, so another site cannot
sign a browser in to its own account. The page that calls them is
``dashboard.session``; Streamlit reads the cookie back (``st.context.cookies``) when a
reload or a new tab opens its WebSocket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dashboard.sessions import COOKIE_NAME, Sessions

START_PATH = "_safer/session"
FORGET_PATH = "_safer/forget"
MAX_CODE = 512

Endpoint = Callable[[Request], Awaitable[Response]]


def route_path(base: str, path: str) -> str:
    """``path`` under Streamlit's ``server.baseUrlPath`` (empty: the root)."""
    base = base.strip("/")
    return f"/{base}/{path}" if base else f"/{path}"


def session_routes(sessions: Sessions, base: str = "") -> list[BaseRoute]:
    return [
        Route(route_path(base, START_PATH), _start(sessions, base), methods=["POST"]),
        Route(route_path(base, FORGET_PATH), _forget(sessions, base), methods=["POST"]),
    ]


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def _https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def _start(sessions: Sessions, base: str) -> Endpoint:
    async def start(request: Request) -> Response:
        if not _same_origin(request):
            return Response(status_code=403)
        code = (await request.body())[:MAX_CODE].decode("ascii", "replace")
        token = sessions.exchange(code)
        if token is None:
            return Response(status_code=400)
        response = Response(status_code=204)
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=int(sessions.absolute_s),
            path=route_path(base, ""),
            secure=_https(request),
            httponly=True,
            samesite="strict",
        )
        return response

    return start


def _forget(sessions: Sessions, base: str) -> Endpoint:
    async def forget(request: Request) -> Response:
        if not _same_origin(request):
            return Response(status_code=403)
        token = request.cookies.get(COOKIE_NAME)
        response = Response(status_code=204)
        if not token or sessions.alive(token):
            return response
        response.delete_cookie(
            COOKIE_NAME,
            path=route_path(base, ""),
            secure=_https(request),
            httponly=True,
            samesite="strict",
        )
        return response

    return forget
