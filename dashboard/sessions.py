"""Signed, expiring dashboard sessions, with their records kept server-side (no Streamlit).

A session is a random id (``secrets.token_urlsafe``, 192 bits) and a record in
``<state_dir>/sessions/<id>.json`` (folder 0700, files 0600): the user, the account's
fingerprint (which changes with its password) and when it began; the record file's mtime is
when it was last used. The browser holds a *token*: the id signed and timestamped with
itsdangerous' ``TimestampSigner`` (HMAC-SHA1 over a key derived from the ``signin_key``
setting, compared in constant time) — Pallets' small, long-kept library for exactly this,
rather than our own HMAC framing and timestamp parsing.

A token resumes its session only while all of these hold: its signature is good and it is
younger than the absolute expiry (``SAFER_SIGNIN_ABSOLUTE_EXPIRY_S``, 7 days); the record
exists (signing out deletes it, so a copied token dies with it, in every tab); the session
began less than the absolute expiry ago; it was used less than the idle expiry
(``SAFER_SIGNIN_IDLE_EXPIRY_S``, 12 h) ago. An expired record is deleted when met, and every
sign-in prunes the folder, so it holds at most the sessions begun in the last 7 days.

A sign-in also leaves a one-time *hand-off code* (the id signed under another salt, valid
``HANDOFF_S``, usable once): the page posts it to the server's own route, which answers
with the token as an HttpOnly cookie (``dashboard.session_routes``), so that page scripts
never see the token itself. Another route forgets the cookie once its session is over.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

SESSIONS_DIR = "sessions"
COOKIE_NAME = "safer_session"
SESSION_SALT = "safer.dashboard.session"
HANDOFF_SALT = "safer.dashboard.handoff"
HANDOFF_S = 60
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32}")


class EndReason(StrEnum):
    SIGNED_OUT = "signed-out"  # no record: signed out (here or in another tab), or pruned
    IDLE = "idle"
    EXPIRED = "expired"  # past the absolute expiry
    ACCOUNT_CHANGED = "account-changed"  # removed, or a new password (dashboard.signin)
    INVALID = "invalid"  # not a token of ours (bad signature, another key)


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    user: str
    fingerprint: str
    began: float  # Unix seconds


@dataclass(frozen=True, slots=True)
class Ended:
    reason: EndReason
    user: str | None = None  # known when this call found the record and ended it


class _ClockSigner(TimestampSigner):
    """itsdangerous' signer on an injectable clock (its own reads ``time.time``)."""

    def __init__(self, key: str, salt: str, clock: Callable[[], float]) -> None:
        super().__init__(key, salt=salt)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class Sessions:
    def __init__(
        self,
        state_dir: Path,
        key: str,
        idle_s: float,
        absolute_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = state_dir / SESSIONS_DIR
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self._clock = clock
        self._tokens = _ClockSigner(key, SESSION_SALT, clock)
        self._handoffs = _ClockSigner(key, HANDOFF_SALT, clock)

    def start(self, user: str, fingerprint: str) -> tuple[str, str]:
        """A new session for ``user``: (token, hand-off code)."""
        self.prune()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        sid = secrets.token_urlsafe(24)
        now = self._clock()
        record = {"user": user, "fingerprint": fingerprint, "began": now}
        _write_private(self._record(sid), json.dumps(record))
        os.utime(self._record(sid), (now, now))
        _write_private(self._marker(sid), "")
        os.utime(self._marker(sid), (now, now))
        return self._tokens.sign(sid).decode(), self._handoffs.sign(sid).decode()

    def resume(self, token: str) -> Session | Ended:
        """The token's session, marked as used now; or why there is none."""
        sid = self._unsign(self._tokens, token, self.absolute_s)
        if isinstance(sid, Ended):
            if sid.reason is EndReason.EXPIRED:
                with contextlib.suppress(BadSignature):
                    return self._end_expired(self._tokens.unsign(token).decode(), sid.reason)
            return sid
        try:
            session, used = self._read(sid)
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return Ended(EndReason.SIGNED_OUT)
        now = self._clock()
        if now - session.began >= self.absolute_s:
            return self._end_expired(sid, EndReason.EXPIRED)
        if now - used >= self.idle_s:
            return self._end_expired(sid, EndReason.IDLE)
        try:
            os.utime(self._record(sid), (now, now))
        except FileNotFoundError:  # signed out meanwhile
            return Ended(EndReason.SIGNED_OUT)
        return session

    def alive(self, token: str) -> bool:
        """Whether the token would resume its session (without marking it used)."""
        sid = self._unsign(self._tokens, token, self.absolute_s)
        return not isinstance(sid, Ended) and self._record(sid).exists() and not self._stale(sid)

    def end(self, sid: str) -> bool:
        """Delete the session's record: every token of it is dead. True if it existed."""
        self._marker(sid).unlink(missing_ok=True)
        try:
            self._record(sid).unlink()
        except FileNotFoundError:
            return False
        return True

    def end_token(self, token: str) -> bool:
        """Sign a token's session out (a token past its absolute expiry too)."""
        try:
            sid = self._tokens.unsign(token).decode()
        except BadSignature:
            return False
        return bool(SESSION_ID.fullmatch(sid)) and self.end(sid)

    def exchange(self, code: str) -> str | None:
        """The token of a sign-in's hand-off code, once, within ``HANDOFF_S``; else None."""
        sid = self._unsign(self._handoffs, code, HANDOFF_S)
        if isinstance(sid, Ended):
            return None
        try:
            self._marker(sid).unlink()  # exactly one caller succeeds
        except FileNotFoundError:
            return None
        if not self._record(sid).exists():
            return None
        return self._tokens.sign(sid).decode()

    def prune(self) -> int:
        """Delete records past either expiry and stale hand-off markers; how many went."""
        if not self.folder.exists():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            sid = path.stem
            if path.suffix == ".handoff":
                stale = not self._record(sid).exists() or self._age(path) >= HANDOFF_S
            else:
                stale = self._stale(sid)
            if stale:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _stale(self, sid: str) -> bool:
        try:
            session, used = self._read(sid)
        except FileNotFoundError:
            return False
        except (ValueError, KeyError, TypeError):
            return True
        now = self._clock()
        return now - session.began >= self.absolute_s or now - used >= self.idle_s

    def _unsign(self, signer: TimestampSigner, value: str, max_age: float) -> str | Ended:
        try:
            sid = signer.unsign(value, max_age=int(max_age)).decode()
        except SignatureExpired:
            return Ended(EndReason.EXPIRED)
        except BadSignature:
            return Ended(EndReason.INVALID)
        return sid if SESSION_ID.fullmatch(sid) else Ended(EndReason.INVALID)

    def _end_expired(self, sid: str, reason: EndReason) -> Ended:
        """End a session that has run out; the user is named only by the call that ended it."""
        try:
            session, _ = self._read(sid)
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return Ended(reason)
        return Ended(reason, session.user if self.end(sid) else None)

    def _read(self, sid: str) -> tuple[Session, float]:
        """The record and when it was last used."""
        path = self._record(sid)
        raw = json.loads(path.read_text())
        used = path.stat().st_mtime
        return Session(sid, str(raw["user"]), str(raw["fingerprint"]), float(raw["began"])), used

    def _age(self, path: Path) -> float:
        try:
            return self._clock() - path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def _record(self, sid: str) -> Path:
        return self.folder / f"{sid}.json"

    def _marker(self, sid: str) -> Path:
        return self.folder / f"{sid}.handoff"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
