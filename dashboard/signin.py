"""Signing in to the dashboard: password, lock-out, session and audit in one place (no
Streamlit; the sidebar is ``dashboard.session``).

An attempt is refused while its account (or an unknown name's slot) is locked out
(``dashboard.lockout``), whatever the password and without checking it; otherwise the
password is checked with the same work whether the name exists or not. Every failure is
audited as ``sign-in-failed`` with its reason (``wrong-password``, ``unknown-account``,
``locked-out``), the failure that starts a lock-out also as ``lock-out``, a success as
``sign-in``. Resuming a session re-reads the account, so a removed account or a new
password (``safer accounts``) ends it on the next rerun and a role change applies then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aggregates.disclosure import Role
from dashboard.access import Account, Accounts, check_password, normal_name
from dashboard.audit import AuditLog
from dashboard.lockout import Lockout
from dashboard.sessions import Ended, EndReason, Sessions
from safer.settings import Settings
from schemas.calendar import LONDON

MAX_NAME = 64  # longer typed names are cut before they reach the audit log


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a sign-in attempt came to: a session (its token and hand-off code), a refusal
    during a lock-out (until when), or neither (wrong name or password)."""

    account: Account | None = None
    token: str | None = None
    handoff: str | None = None
    locked_until: datetime | None = None


class SignIn:
    def __init__(
        self, accounts: Accounts, sessions: Sessions, lockout: Lockout, audit: AuditLog
    ) -> None:
        self.accounts = accounts
        self.sessions = sessions
        self.lockout = lockout
        self.audit = audit

    @classmethod
    def of(cls, settings: Settings, clock: Callable[[], float] = time.time) -> SignIn:
        key = settings.signin_key().get_secret_value()
        sessions = Sessions(
            settings.state_dir,
            key,
            settings.signin_idle_expiry_s,
            settings.signin_absolute_expiry_s,
            clock,
        )
        lockout = Lockout(
            settings.state_dir,
            key.encode(),
            settings.signin_max_failures,
            settings.signin_lockout_s,
            clock,
        )
        return cls(
            Accounts(settings.accounts_path), sessions, lockout, AuditLog(settings.audit_path)
        )

    def attempt(self, name: str, password: str) -> Attempt:
        """Check a name and password (raises ``AccountError`` if the accounts file is bad)."""
        typed = normal_name(name)[:MAX_NAME]
        account = self.accounts.get(typed)
        slot = self.lockout.slot(typed, known=account is not None)
        refused = self.lockout.refused_until(slot)
        if refused is not None:
            self._failed(typed, "locked-out")
            return Attempt(locked_until=_utc(refused))
        right = check_password(account, password)
        if account is None or not right:
            self._failed(typed, "unknown-account" if account is None else "wrong-password")
            locked = self.lockout.fail(slot)
            if locked is None:
                return Attempt()
            until = _utc(locked).isoformat(timespec="seconds")
            self.audit.write(typed, Role.PUBLIC, "lock-out", until=until)
            return Attempt(locked_until=_utc(locked))
        self.lockout.clear(slot)
        token, handoff = self.sessions.start(account.name, account.fingerprint)
        self.audit.write(account.name, account.role, "sign-in")
        return Attempt(account, token, handoff)

    def resume(self, token: str) -> Account | Ended:
        """The account of a session token, as the accounts file now has it; or why the
        session is over (a session that ran out is audited as ``session-ended``)."""
        found = self.sessions.resume(token)
        if isinstance(found, Ended):
            if found.user is not None:
                self._ended(found.user, found.reason)
            return found
        account = self.accounts.get(found.user)
        if account is None or account.fingerprint != found.fingerprint:
            if self.sessions.end(found.sid):
                self._ended(found.user, EndReason.ACCOUNT_CHANGED)
            return Ended(EndReason.ACCOUNT_CHANGED, found.user)
        return account

    def sign_out(self, token: str, account: Account) -> None:
        """End the session in every tab, now (its record goes)."""
        self.sessions.end_token(token)
        self.audit.write(account.name, account.role, "sign-out")

    def _failed(self, typed: str, reason: str) -> None:
        self.audit.write(typed, Role.PUBLIC, "sign-in-failed", reason=reason)

    def _ended(self, user: str, reason: EndReason) -> None:
        account = self.accounts.get(user)
        role = account.role if account is not None else Role.PUBLIC
        self.audit.write(user, role, "session-ended", reason=reason.value)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def refusal(attempt: Attempt, now: datetime) -> str:
    """What a refused attempt tells the user, the same for unknown names and accounts: the
    end of a lock-out in local time (with its date when that is not today)."""
    if attempt.locked_until is None:
        return "Unknown account name or wrong password."
    local = attempt.locked_until.astimezone(LONDON)
    same_day = local.date() == now.astimezone(LONDON).date()
    when = local.strftime("%H:%M" if same_day else "%H:%M on %d %b")
    return f"Too many failed attempts; try again after {when}."
