"""Signing in (``dashboard.signin``): lock-out after repeated failures, shared between
processes through the state folder, unknown names that look like accounts, every failure
audited, and sessions that follow the accounts file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregates.disclosure import Role
from dashboard.access import Accounts
from dashboard.audit import AuditLog
from dashboard.lockout import FAILURES_FILE, UNKNOWN_SLOTS
from dashboard.sessions import Ended, EndReason
from dashboard.signin import Attempt, SignIn, refusal
from safer.settings import Settings

PASSWORD = "correct horse battery"
WRONG = "not the password"
LOCKOUT_S = 900.0


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(state_dir=tmp_path)
    Accounts(settings.accounts_path).add("ana", Role.ANALYST, PASSWORD)
    return settings


def fail(signin: SignIn, name: str, times: int) -> list[Attempt]:
    return [signin.attempt(name, WRONG) for _ in range(times)]


def test_four_failures_then_the_right_password_signs_in_and_resets(settings: Settings) -> None:
    """Under the limit the right password works, and the count starts again after it."""
    signin = SignIn.of(settings, Clock())
    assert all(a.token is None and a.locked_until is None for a in fail(signin, "ana", 4))
    assert signin.attempt("ana", PASSWORD).token is not None
    assert all(a.locked_until is None for a in fail(signin, "ana", 4))
    assert signin.attempt("ana", PASSWORD).token is not None


def test_five_failures_lock_the_account_for_fifteen_minutes(settings: Settings) -> None:
    """The fifth failure locks the account; the right password is refused until the
    lock-out ends, then accepted."""
    clock = Clock()
    signin = SignIn.of(settings, clock)
    attempts = fail(signin, "ana", 5)
    until = datetime.fromtimestamp(clock.now + LOCKOUT_S, UTC)
    assert [a.locked_until for a in attempts] == [None] * 4 + [until]
    clock.now += LOCKOUT_S - 1
    refused = signin.attempt("ana", PASSWORD)
    assert (refused.token, refused.locked_until) == (None, until)
    clock.now += 1
    assert signin.attempt("ana", PASSWORD).token is not None


def test_failures_are_forgotten_after_the_window(settings: Settings) -> None:
    """Four failures, fifteen quiet minutes, one more failure: no lock-out."""
    clock = Clock()
    signin = SignIn.of(settings, clock)
    fail(signin, "ana", 4)
    clock.now += LOCKOUT_S
    assert fail(signin, "ana", 1)[0].locked_until is None
    assert all(a.locked_until is None for a in fail(signin, "ana", 3))
    assert fail(signin, "ana", 1)[0].locked_until is not None


def test_the_count_is_shared_by_separate_instances(settings: Settings) -> None:
    """Two dashboard processes (separate Accounts and SignIn instances on one state folder)
    count failures together."""
    clock = Clock()
    first, second = SignIn.of(settings, clock), SignIn.of(settings, clock)
    for attempt in range(4):
        (first if attempt % 2 else second).attempt("ana", WRONG)
    assert first.attempt("ANA ", WRONG).locked_until is not None  # names are case-insensitive
    assert second.attempt("ana", PASSWORD).locked_until is not None


def test_unknown_names_lock_out_like_accounts_and_state_stays_bounded(settings: Settings) -> None:
    """An unknown name gets the same answers as an account (wrong, then locked); 1,500 more
    unknown names keep at most one entry per shared slot."""
    clock = Clock()
    signin = SignIn.of(settings, clock)
    unknown = fail(signin, "nobody", 5)
    known = fail(signin, "ana", 5)
    assert [a.locked_until is None for a in unknown] == [a.locked_until is None for a in known]
    now = datetime.fromtimestamp(clock.now, UTC)
    assert refusal(unknown[-1], now) == refusal(known[-1], now)
    assert refusal(unknown[0], now) == refusal(known[0], now)
    lockout = signin.lockout  # what attempt() counts with, without 1,500 password checks
    for n in range(1500):  # more names than slots
        lockout.fail(lockout.slot(f"guess{n}", known=False))
    table = json.loads((settings.state_dir / FAILURES_FILE).read_text())
    assert len(table) <= UNKNOWN_SLOTS + 1
    assert "nobody" not in table
    assert not any(slot.startswith("guess") for slot in table)
    clock.now += LOCKOUT_S
    signin.attempt("ana", PASSWORD)
    assert json.loads((settings.state_dir / FAILURES_FILE).read_text()) == {}


def test_every_failure_and_lock_out_is_audited_with_its_reason(settings: Settings) -> None:
    """sign-in-failed carries wrong-password, unknown-account or locked-out; the failure that
    locks also writes lock-out with its end."""
    clock = Clock()
    signin = SignIn.of(settings, clock)
    signin.attempt("zed", WRONG)
    fail(signin, "ana", 5)
    signin.attempt("ana", PASSWORD)
    entries = AuditLog(settings.audit_path).entries()
    assert [(e["user"], e["action"], e.get("reason")) for e in entries] == [
        ("zed", "sign-in-failed", "unknown-account"),
        *[("ana", "sign-in-failed", "wrong-password")] * 5,
        ("ana", "lock-out", None),
        ("ana", "sign-in-failed", "locked-out"),
    ]
    until = datetime.fromtimestamp(clock.now + LOCKOUT_S, UTC).isoformat(timespec="seconds")
    assert entries[6]["until"] == until


def test_the_lock_out_message_names_the_local_time() -> None:
    """'try again after HH:MM' in UK time (BST in summer), with the date when not today."""
    until = datetime(2026, 7, 1, 13, 20, tzinfo=UTC)
    assert refusal(Attempt(locked_until=until), datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == (
        "Too many failed attempts; try again after 14:20."
    )
    later = refusal(Attempt(locked_until=until), datetime(2026, 6, 30, 9, 0, tzinfo=UTC))
    assert later.endswith("after 14:20 on 01 Jul.")
    assert refusal(Attempt(), datetime.now(UTC)) == "Unknown account name or wrong password."


def test_sessions_follow_the_accounts_file(settings: Settings) -> None:
    """A role change (same password) applies on the next resume; a new password or removal
    ends the session, audited as session-ended."""
    signin = SignIn.of(settings, Clock())
    accounts = Accounts(settings.accounts_path)
    token = signin.attempt("ana", PASSWORD).token
    assert token is not None
    accounts.add("ana", Role.PARTNER, PASSWORD)
    resumed = signin.resume(token)
    assert not isinstance(resumed, Ended)
    assert resumed.role is Role.PARTNER
    accounts.add("ana", Role.PARTNER, "a brand new password")
    assert signin.resume(token) == Ended(EndReason.ACCOUNT_CHANGED, "ana")
    again = signin.attempt("ana", "a brand new password").token
    assert again is not None
    accounts.remove("ana")
    assert signin.resume(again) == Ended(EndReason.ACCOUNT_CHANGED, "ana")
    ended = [e for e in AuditLog(settings.audit_path).entries() if e["action"] == "session-ended"]
    assert [e["reason"] for e in ended] == ["account-changed", "account-changed"]


def test_sign_out_ends_the_session_for_every_holder(settings: Settings) -> None:
    """Signing out in one process leaves another process's copy of the token dead."""
    first, second = SignIn.of(settings, Clock()), SignIn.of(settings, Clock())
    attempt = first.attempt("ana", PASSWORD)
    assert attempt.token is not None
    assert attempt.account is not None
    assert not isinstance(second.resume(attempt.token), Ended)
    first.sign_out(attempt.token, attempt.account)
    assert second.resume(attempt.token) == Ended(EndReason.SIGNED_OUT)
    assert AuditLog(settings.audit_path).entries()[-1]["action"] == "sign-out"
