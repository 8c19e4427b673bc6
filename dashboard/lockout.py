"""Lock-out after repeated failed sign-ins, shared by every dashboard process (no Streamlit).

After ``SAFER_SIGNIN_MAX_FAILURES`` (5) failures in a row for an account, each within
``SAFER_SIGNIN_LOCKOUT_S`` (15 minutes) of the one before, the account is refused for
``SAFER_SIGNIN_LOCKOUT_S`` whatever the password; a success clears its count, and a count is
forgotten once that long has passed without a failure (or once its lock-out is over).

Unknown names are counted too, so that a lock-out never tells an unknown name from an
account; to keep the state bounded they share ``UNKNOWN_SLOTS`` slots picked by a keyed hash
of the name (the session key: nobody can aim two names at one slot). The state therefore
holds at most one entry per account plus ``UNKNOWN_SLOTS``, each dropped when forgotten.

State: ``<state_dir>/signin-failures.json``, replaced whole (write, then rename) while an
exclusive ``flock`` on ``<state_dir>/signin-failures.lock`` is held, so dashboard processes
on this machine count together; reads need no lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

FAILURES_FILE = "signin-failures.json"
UNKNOWN_SLOTS = 1024


@dataclass(frozen=True, slots=True)
class Strikes:
    """One account's (or unknown slot's) run of failures."""

    failures: int
    last: float  # time of the latest failure (Unix seconds)
    locked_until: float | None


Table = dict[str, Strikes]


class Lockout:
    def __init__(
        self,
        state_dir: Path,
        key: bytes,
        max_failures: int,
        lockout_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = state_dir / FAILURES_FILE
        self._key = key
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self._clock = clock

    def slot(self, name: str, known: bool) -> str:
        """Where a name's failures are counted: the account's own entry, or one of the
        shared slots of unknown names (``?NNNN``; account names cannot start with '?')."""
        if known:
            return name
        digest = hmac.new(self._key, name.encode(), hashlib.sha256).digest()
        return f"?{int.from_bytes(digest[:4], 'big') % UNKNOWN_SLOTS:04d}"

    def refused_until(self, slot: str) -> float | None:
        """The end of the slot's lock-out (Unix seconds), or None when it may sign in."""
        strikes = self._read().get(slot)
        now = self._clock()
        if strikes is None or strikes.locked_until is None or strikes.locked_until <= now:
            return None
        return strikes.locked_until

    def fail(self, slot: str) -> float | None:
        """Count a failure; the end of the lock-out when this one starts it."""
        with self._table() as table:
            now = self._clock()
            strikes = table.get(slot)
            if strikes is None or self._forgotten(strikes, now):
                strikes = Strikes(0, now, None)
            if strikes.locked_until is not None:  # already locked (a concurrent attempt)
                return strikes.locked_until
            failures = strikes.failures + 1
            until = now + self.lockout_s if failures >= self.max_failures else None
            table[slot] = Strikes(failures, now, until)
            return until

    def clear(self, slot: str) -> None:
        """A success: the slot's count starts again."""
        if slot not in self._read():
            return
        with self._table() as table:
            table.pop(slot, None)

    def _forgotten(self, strikes: Strikes, now: float) -> bool:
        if strikes.locked_until is not None:
            return strikes.locked_until <= now
        return now - strikes.last >= self.lockout_s

    @contextlib.contextmanager
    def _table(self) -> Iterator[Table]:
        """The table to change, with the lock held; written back pruned."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            table = self._read()
            yield table
            now = self._clock()
            kept = {slot: s for slot, s in table.items() if not self._forgotten(s, now)}
            self._write(kept)

    def _read(self) -> Table:
        try:
            raw = json.loads(self.path.read_text())
            return {
                slot: Strikes(int(f), float(last), until) for slot, (f, last, until) in raw.items()
            }
        except FileNotFoundError:
            return {}
        except (ValueError, TypeError):  # torn or edited: start again rather than lock everyone
            return {}

    def _write(self, table: Table) -> None:
        body = {slot: [s.failures, s.last, s.locked_until] for slot, s in sorted(table.items())}
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(body, out)
        tmp.replace(self.path)
