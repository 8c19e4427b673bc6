"""The dashboard's audit log: one JSON line per sign-in, failure, lock-out, view and export,
chained by hashes so that an edit is evident (no Streamlit here).

``SAFER_AUDIT_LOG`` (default ``<state_dir>/audit.jsonl``). Each line is a JSON object with
``at`` (UTC), ``user``, ``role``, ``action`` and what was done, plus two chain fields:

- ``n``: the line's number (1 for the first line of a new log);
- ``prev``: the SHA-256 (hex) of the previous line's bytes, without its newline; the first
  line carries ``GENESIS``. The first chained line after lines written before the chain
  existed (*legacy* lines, no ``n``/``prev``) carries the SHA-256 of all of those lines'
  bytes instead, so they are held as one block from then on.

The *head* file beside the log (``<log>.head``, JSON ``{"n": ..., "hash": ...}``) records the
number and hash of the last line, so that a removed tail is evident too; the writer
continues the chain from the head, not from whatever the file now ends with.
``safer audit verify`` checks all of it (``dashboard.audit_chain``).

Appends hold an exclusive ``flock`` on the log for read-head, write-line, write-head, so
concurrent dashboard processes never interleave lines or fork the chain.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from aggregates.disclosure import Role
from safer.errors import SaferError

GENESIS = "0" * 64
CHAIN_FIELDS = ("n", "prev")
TAIL_READ = 65_536


class AuditError(SaferError):
    """The audit log cannot be read (not there, not a file)."""


def line_hash(line: bytes) -> str:
    """The hash a line is chained by: SHA-256 of its bytes without the newline."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def head_path(log: Path) -> Path:
    return log.with_name(log.name + ".head")


@dataclass(frozen=True, slots=True)
class Head:
    """The last line's number and hash, as the writer last left them."""

    n: int
    hash: str

    @classmethod
    def read(cls, path: Path) -> Head | None:
        try:
            raw = json.loads(path.read_text())
            return cls(int(raw["n"]), str(raw["hash"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return None

    def write(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"n": self.n, "hash": self.hash}) + "\n")
        tmp.replace(path)


def chain_link(line: bytes) -> tuple[int, str] | None:
    """A line's (n, prev), or None when it is not a chained entry."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    n, prev = entry.get("n"), entry.get("prev")
    if not isinstance(n, int) or isinstance(n, bool) or not isinstance(prev, str):
        return None
    return n, prev


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, user: str, role: Role, action: str, **what: Any) -> dict[str, Any]:
        """Append one entry: ``action`` is 'view', 'export', 'sign-in', 'sign-out',
        'sign-in-failed', 'lock-out' or 'session-ended'."""
        if clash := set(CHAIN_FIELDS) & set(what):
            raise ValueError(f"audit fields {sorted(clash)} are the chain's own")
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "user": user,
            "role": role.value,
            "action": action,
            **what,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as log:
            fcntl.flock(log, fcntl.LOCK_EX)  # released when the file closes
            n, prev = self._next_link(log)
            line = json.dumps({**entry, "n": n, "prev": prev}, sort_keys=True, default=str)
            log.write(line.encode() + b"\n")
            log.flush()
            Head(n, line_hash(line.encode())).write(head_path(self.path))
        return entry

    def _next_link(self, log: IO[bytes]) -> tuple[int, str]:
        """(n, prev) of the line about to be written, with the lock held."""
        last = _last_line(log)
        head = Head.read(head_path(self.path))
        if head is not None:
            link = None if last is None else chain_link(last)
            if last is not None and link == (head.n + 1, head.hash):
                return head.n + 2, line_hash(last)  # a writer died between line and head
            return head.n + 1, head.hash  # a changed file keeps its gap visible to verify
        if last is None:
            return 1, GENESIS
        link = chain_link(last)
        if link is not None:  # the head was lost: continue from the file
            return link[0] + 1, line_hash(last)
        log.seek(0)
        legacy = log.read()
        return legacy.count(b"\n") + 1, hashlib.sha256(legacy).hexdigest()

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]


def _last_line(log: IO[bytes]) -> bytes | None:
    """The file's last line (without newline), or None when empty; a last line without its
    newline (a torn write) is closed first, so the next line starts on a line of its own."""
    end = log.seek(0, os.SEEK_END)
    if end == 0:
        return None
    log.seek(end - 1)
    if log.read(1) != b"\n":
        log.write(b"\n")
        log.flush()
        end += 1
    start = end - 1
    chunk = b""
    while start > 0 and b"\n" not in chunk:
        step = min(TAIL_READ, start)
        start -= step
        log.seek(start)
        chunk = log.read(end - 1 - start)
    log.seek(start)
    tail = log.read(end - 1 - start)
    return tail.rsplit(b"\n", 1)[-1]
