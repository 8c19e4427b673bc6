"""Who is looking: sign-in in the sidebar, the session's role, and audit entries (Streamlit).

Visitors start in the public role (unless ``SAFER_DASHBOARD_PUBLIC=false``). Signing in with
an account from ``safer accounts`` (``dashboard.signin``: password, lock-out, audit) starts a
server-side session; this browser session keeps its token in ``st.session_state``, and the
page hands it to the server's own route, which sets it as an HttpOnly cookie
(``dashboard.session_routes``). A reload or a new tab is a new Streamlit session: it reads
the cookie (``st.context.cookies``, sent with the WebSocket) once, at its first run.

Every full rerun resumes the token: signed out (here or in another tab), idle, past its
absolute expiry, or its account removed or given a new password, and the viewer is public
again, told why; a role change applies. Auto-refreshing panels (``st.fragment``) do not
rerun this, so reading a page without touching it counts as idle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from aggregates.disclosure import Role
from dashboard.access import Account, AccountError
from dashboard.audit import AuditLog
from dashboard.session_routes import FORGET_PATH, START_PATH, route_path
from dashboard.sessions import COOKIE_NAME, Ended, EndReason
from dashboard.signin import SignIn, refusal
from safer.settings import Settings

TOKEN_STATE = "session_token"  # noqa: S105  (a session_state key) None once signed out
BROWSER_STATE = "session_browser"  # a pending call to a cookie route: (path, body)
VIEWED_STATE = "last_view"
ANONYMOUS = "anonymous"
ENDED = {
    EndReason.SIGNED_OUT: "You were signed out (in this tab or another).",
    EndReason.IDLE: "Your sign-in ended after {idle} without use.",
    EndReason.EXPIRED: "Your sign-in ended {absolute} after it began.",
    EndReason.ACCOUNT_CHANGED: "Your account was changed or removed.",
    EndReason.INVALID: "Your sign-in is no longer valid.",
}


@dataclass(frozen=True, slots=True)
class Viewer:
    name: str
    role: Role

    @property
    def signed_in(self) -> bool:
        return self.name != ANONYMOUS


def viewer(settings: Settings) -> Viewer | None:
    """The session's viewer after the sidebar sign-in box; None when nobody is signed in and
    the public view is switched off (the page then shows only the sign-in box)."""
    signin = SignIn.of(settings)
    with st.sidebar:
        try:
            current = _resume(signin)
        except AccountError as exc:
            st.error(f"Sign-in is unavailable: {exc}")
            current = None
        _browser_call()
        if isinstance(current, Account):
            _signed_in(signin, current, settings)
            return Viewer(current.name, current.role)
        if current is not None:
            text = ENDED[current.reason].format(
                idle=duration(settings.signin_idle_expiry_s),
                absolute=duration(settings.signin_absolute_expiry_s),
            )
            st.info(f"{text} Sign in again to see more than the public view.")
        _sign_in_form(signin)
    if not settings.dashboard_public:
        return None
    return Viewer(ANONYMOUS, Role.PUBLIC)


def _resume(signin: SignIn) -> Account | Ended | None:
    """The signed-in account, why the session ended, or None (nobody signed in)."""
    if TOKEN_STATE not in st.session_state:  # first run of a reload or a new tab
        st.session_state[TOKEN_STATE] = st.context.cookies.get(COOKIE_NAME)
    token: str | None = st.session_state[TOKEN_STATE]
    if token is None:
        return None
    found = signin.resume(token)
    if isinstance(found, Ended):
        _forget_session(FORGET_PATH)
    return found


def _signed_in(signin: SignIn, account: Account, settings: Settings) -> None:
    st.markdown(f"Signed in as **{account.name}** ({account.role.value})")
    st.caption(
        f"Kept across reloads and tabs of this browser; ends after "
        f"{duration(settings.signin_idle_expiry_s)} unused or "
        f"{duration(settings.signin_absolute_expiry_s)} in all."
    )
    if st.button("Sign out"):
        signin.sign_out(st.session_state[TOKEN_STATE], account)
        _forget_session(FORGET_PATH)
        st.rerun()


def _sign_in_form(signin: SignIn) -> None:
    with st.form("sign-in", clear_on_submit=True):
        st.markdown("**Sign in** (analysts and partners)")
        name = st.text_input("Account name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in")
    if not submitted:
        return
    try:
        attempt = signin.attempt(name, password)
    except AccountError as exc:
        st.error(f"Sign-in is unavailable: {exc}")
        return
    if attempt.token is None:
        st.error(refusal(attempt, datetime.now(UTC)))
        return
    st.session_state[TOKEN_STATE] = attempt.token
    st.session_state[BROWSER_STATE] = (START_PATH, attempt.handoff)
    st.session_state.pop(VIEWED_STATE, None)
    st.rerun()


def _forget_session(path: str) -> None:
    """This browser session has no sign-in any more; its cookie is forgotten by the server
    unless another tab has signed in since."""
    st.session_state[TOKEN_STATE] = None
    st.session_state[BROWSER_STATE] = (path, "")
    st.session_state.pop(VIEWED_STATE, None)


def _browser_call() -> None:
    """Have the page post the pending call to a cookie route (once): same-origin ``fetch``,
    so the response's Set-Cookie lands in this browser and no script sees the token."""
    call: tuple[str, str] | None = st.session_state.pop(BROWSER_STATE, None)
    if call is None:
        return
    path, body = call
    url = route_path(str(st.get_option("server.baseUrlPath") or ""), path)
    script = (
        f"<script>fetch({json.dumps(url)}, {{method: 'POST', credentials: 'same-origin', "
        f"keepalive: true, headers: {{'Content-Type': 'text/plain'}}, "
        f"body: {json.dumps(body)}}});</script>"
    )
    st.html(script, unsafe_allow_javascript=True)


def duration(seconds: float) -> str:
    """'12 h', '7 days', '15 min', '5 s'."""
    for unit, size in (("days", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {'day' if unit == 'days' and count == 1 else unit}"
    return f"{seconds:g} s"


def record_view(settings: Settings, who: Viewer, page: str, filters: dict[str, Any]) -> None:
    """One audit entry per view: when the page or its filters change (not on every refresh)."""
    view = (who.name, who.role.value, page, tuple(sorted((k, str(v)) for k, v in filters.items())))
    if st.session_state.get(VIEWED_STATE) == view:
        return
    st.session_state[VIEWED_STATE] = view
    AuditLog(settings.audit_path).write(who.name, who.role, "view", page=page, filters=filters)
