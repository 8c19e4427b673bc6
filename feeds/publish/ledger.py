"""What an adapter has published, so a re-import publishes only what changed.

A partner re-issues whole periods (a force's month file replaces its earlier issue). For
each (source, partner, period) the ledger keeps every record's last published version, a
hash of its content, its content (to publish a cancellation of a record that disappeared)
and whether it is cancelled. ``plan`` compares a new issue with that: new records get
version 1, changed ones the next version, vanished ones a cancellation, unchanged ones
nothing. ``record`` is called only after the broker acknowledged the messages, so a crash
in between re-publishes them (downstream writes are idempotent).

The ledger lives in ``<state_dir>/feeds/<broker cluster id>.sqlite``: a new log (a fresh
embedded broker) starts a new ledger, so nothing is wrongly thought published.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

_SCHEMA = """
CREATE TABLE IF NOT EXISTS published (
    source TEXT NOT NULL,
    scope TEXT NOT NULL,
    record_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    content TEXT NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, scope, record_key)
)
"""


@dataclass(frozen=True, slots=True)
class Entry:
    version: int
    content_hash: str
    content: tuple[str, ...]
    cancelled: bool


@dataclass(frozen=True, slots=True)
class Change:
    """One message to publish: a record version, active or cancelled."""

    record_key: str
    version: int
    content_hash: str
    content: tuple[str, ...]
    cancelled: bool
    kind: str  # new | changed | cancelled


@dataclass(frozen=True, slots=True)
class Issue:
    """A record in a new issue of a period: its key, content and content hash."""

    record_key: str
    content_hash: str
    content: tuple[str, ...]


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute(_SCHEMA)

    @classmethod
    def open(cls, state_dir: Path, cluster_id: str) -> Ledger:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in cluster_id)
        return cls(state_dir / "feeds" / f"{safe}.sqlite")

    def entries(self, source: str, scope: str) -> dict[str, Entry]:
        rows = self._db.execute(
            "SELECT record_key, version, content_hash, content, cancelled FROM published"
            " WHERE source = ? AND scope = ?",
            (source, scope),
        )
        return {
            key: Entry(version, digest, tuple(json.loads(content)), bool(cancelled))
            for key, version, digest, content, cancelled in rows
        }

    def plan(
        self, source: str, scope: str, issue: Sequence[Issue], complete: bool = True
    ) -> list[Change]:
        """The messages that make the published state equal to this issue of the period
        (``complete=False``: an incremental export, where a missing record is not cancelled)."""
        known = self.entries(source, scope)
        changes: list[Change] = []
        present = set()
        for record in issue:
            present.add(record.record_key)
            old = known.get(record.record_key)
            if old is None:
                changes.append(_change(record, 1, "new"))
            elif old.cancelled or old.content_hash != record.content_hash:
                changes.append(_change(record, old.version + 1, "changed"))
        for key, old in known.items() if complete else ():
            if key not in present and not old.cancelled:
                changes.append(
                    Change(key, old.version + 1, old.content_hash, old.content, True, "cancelled")
                )
        return changes

    def record(self, source: str, scope: str, changes: Iterable[Change]) -> None:
        """Remember published changes (after the broker acknowledged them)."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        source,
                        scope,
                        c.record_key,
                        c.version,
                        c.content_hash,
                        json.dumps(c.content),
                        int(c.cancelled),
                    )
                    for c in changes
                ],
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _change(record: Issue, version: int, kind: str) -> Change:
    return Change(record.record_key, version, record.content_hash, record.content, False, kind)
