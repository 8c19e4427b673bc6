"""Signed, expiring dashboard sessions (``dashboard.sessions``), on a controlled clock."""

from __future__ import annotations

import stat
from pathlib import Path

from dashboard.sessions import HANDOFF_S, Ended, EndReason, Session, Sessions

IDLE_S = 12 * 3600.0
ABSOLUTE_S = 7 * 86_400.0
KEY = "unit-test-session-key"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def sessions(tmp_path: Path, clock: Clock, key: str = KEY) -> Sessions:
    return Sessions(tmp_path, key, IDLE_S, ABSOLUTE_S, clock)


def test_a_token_resumes_its_session_and_its_files_are_private(tmp_path: Path) -> None:
    """A new session's token gives back its user and fingerprint; records are 0600 in 0700."""
    store = sessions(tmp_path, Clock())
    token, _ = store.start("ana", "print-1")
    found = store.resume(token)
    assert isinstance(found, Session)
    assert (found.user, found.fingerprint) == ("ana", "print-1")
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    record = next(store.folder.glob("*.json"))
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert found.sid not in token.split(".")[-1]  # the signature is not the id


def test_idle_expiry_counts_from_the_last_use(tmp_path: Path) -> None:
    """Used every 11 h a session lives on; 12 h untouched ends it (the user is named once)."""
    clock = Clock()
    store = sessions(tmp_path, clock)
    token, _ = store.start("ana", "print-1")
    for _ in range(3):
        clock.now += IDLE_S - 3600
        assert isinstance(store.resume(token), Session)
    clock.now += IDLE_S
    assert store.resume(token) == Ended(EndReason.IDLE, "ana")
    assert store.resume(token) == Ended(EndReason.SIGNED_OUT)
    assert list(store.folder.glob("*.json")) == []


def test_absolute_expiry_ends_even_a_session_in_use(tmp_path: Path) -> None:
    """Used every hour, a session still ends 7 days after it began."""
    clock = Clock()
    store = sessions(tmp_path, clock)
    token, _ = store.start("ana", "print-1")
    began = clock.now
    while clock.now + 3600 < began + ABSOLUTE_S:
        clock.now += 3600
        assert isinstance(store.resume(token), Session)
    clock.now = began + ABSOLUTE_S
    ended = store.resume(token)
    assert isinstance(ended, Ended)
    assert ended.reason is EndReason.EXPIRED


def test_a_tampered_or_foreign_token_is_refused(tmp_path: Path) -> None:
    """An edited token, one signed with another key and a hand-off code used as a token are
    not sessions, and none of them shows whether the session exists."""
    clock = Clock()
    store = sessions(tmp_path, clock)
    token, handoff = store.start("ana", "print-1")
    sid, stamp, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]  # not the padding bits
    renamed = ("x" if sid[0] != "x" else "y") + sid[1:]
    other_key, _ = sessions(tmp_path / "other", clock, key="another-key").start("ana", "p")
    for bad in (f"{sid}.{stamp}.{flipped}", other_key, handoff, f"{renamed}.{stamp}.{signature}"):
        assert store.resume(bad) == Ended(EndReason.INVALID)
    assert isinstance(store.resume(token), Session)


def test_sign_out_kills_every_copy_of_the_token(tmp_path: Path) -> None:
    """After sign-out a copied (stolen) token, still correctly signed, resumes nothing."""
    clock = Clock()
    store = sessions(tmp_path, clock)
    token, _ = store.start("ana", "print-1")
    copy = str(token)
    assert store.end_token(token)
    assert store.resume(copy) == Ended(EndReason.SIGNED_OUT)
    assert not store.alive(copy)
    assert not store.end_token(copy)


def test_a_handoff_code_gives_the_token_once_and_only_briefly(tmp_path: Path) -> None:
    """The cookie route's code works once, within HANDOFF_S, and not for a signed-out session."""
    clock = Clock()
    store = sessions(tmp_path, clock)
    _, code = store.start("ana", "print-1")
    cookie = store.exchange(code)
    assert cookie is not None
    assert isinstance(store.resume(cookie), Session)
    assert store.exchange(code) is None
    _, late = store.start("pat", "print-2")
    clock.now += HANDOFF_S + 1
    assert store.exchange(late) is None
    token, early = store.start("zed", "print-3")
    store.end_token(token)
    assert store.exchange(early) is None


def test_alive_does_not_count_as_use(tmp_path: Path) -> None:
    """Checking a cookie for the forget route does not keep an idle session going."""
    clock = Clock()
    store = sessions(tmp_path, clock)
    token, _ = store.start("ana", "print-1")
    clock.now += IDLE_S - 60
    assert store.alive(token)
    clock.now += 120
    assert not store.alive(token)


def test_sign_ins_prune_expired_records(tmp_path: Path) -> None:
    """The folder keeps only live sessions: a sign-in removes the ones past their expiry."""
    clock = Clock()
    store = sessions(tmp_path, clock)
    for user in ("a", "b", "c"):
        store.start(user, "p")
    clock.now += IDLE_S + 1
    store.start("d", "p")
    assert len(list(store.folder.glob("*.json"))) == 1
    assert len(list(store.folder.glob("*.handoff"))) == 1
