"""Importing partner export files: rows -> changes against the ledger -> raw topic.

An ``Adapter`` per export format (``feeds.adapters.registry``) reads a file into rows and turns a
row into an event; this module does the rest the same way for every source: rejected rows
go to the dead-letter topic with file and line, each period is compared with what was
published before (``feeds.publish.ledger``), only new, changed and (for re-issued periods) vanished
records are published, and the ledger is updated once the broker has acknowledged them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from feeds.adapters.rows import Adapter, Row, RowError
from feeds.publish.bulk import BulkPublisher
from feeds.publish.ledger import Change, Issue, Ledger
from feeds.publish.replay import Replay
from feeds.raw import Label, RawMessage
from safer.errors import SaferError
from schemas.codec import encode_incident
from schemas.deadletter import DeadLetter
from schemas.topics import Topics

Progress = Callable[[int], None]  # rows handled so far, over all files


@dataclass
class ImportSummary:
    files: int = 0
    rows: int = 0
    published: Counter[str] = field(default_factory=Counter)  # new | changed | cancelled
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)

    @property
    def published_total(self) -> int:
        return sum(self.published.values())


def input_files(path: Path, pattern: str) -> list[Path]:
    """``path`` itself, or the files in it matching ``pattern`` (a glob, or several
    separated by ``|``; each file once, sorted by name)."""
    if path.is_dir():
        globs = pattern.split("|")
        return sorted({p for glob in globs for p in path.glob(glob) if p.is_file()})
    if path.is_file():
        return [path]
    raise SaferError(f"no such file or folder: {path}")


def import_files(
    adapter: Adapter,
    files: Sequence[Path],
    publisher: BulkPublisher,
    ledger: Ledger,
    topics: Topics,
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    replay: Replay | None = None,
) -> ImportSummary:
    """Publish export files through an adapter; returns what was published, skipped and
    rejected. ``replay``: publish everything in event-time order at its pace instead of
    file by file as fast as possible."""
    summary = ImportSummary()
    waiting: list[Pending] = []
    waiting_scopes: set[str] = set()

    def deliver(due: Sequence[Pending]) -> None:
        _deliver(adapter, due, [], publisher, ledger, summary)

    for path in files:
        rows = list(adapter.read(path))
        summary.files += 1
        summary.rows += len(rows)
        by_scope: dict[str, list[Row]] = defaultdict(list)
        rejected = [row for row in rows if isinstance(row, RowError)]
        for row in rows:
            if not isinstance(row, RowError):
                by_scope[row.scope].append(row)
        publisher.send([], [_reject(adapter, error, summary, topics) for error in rejected])
        done = summary.rows - len(rows)
        for scope, scoped in by_scope.items():
            if replay is not None and scope in waiting_scopes:  # a re-issue in the same run:
                replay.run(waiting, deliver)  # the first issue must be recorded before the
                waiting, waiting_scopes = [], set()  # second is compared with it
            pending, dead = _prepare_scope(
                adapter, scope, scoped, path, ledger, topics, summary, now()
            )
            if replay is None:
                _deliver(adapter, pending, dead, publisher, ledger, summary)
            else:
                publisher.send([], dead)
                waiting += pending
                waiting_scopes.add(scope)
            done += len(scoped)
            if progress is not None:
                progress(done)
    if replay is not None:
        replay.run(waiting, deliver)
    return summary


@dataclass(frozen=True, slots=True)
class Pending:
    """A change ready to publish: when its event happened, its period and its message."""

    at: datetime
    scope: str
    change: Change
    message: RawMessage


def _prepare_scope(
    adapter: Adapter,
    scope: str,
    rows: list[Row],
    path: Path,
    ledger: Ledger,
    topics: Topics,
    summary: ImportSummary,
    published_at: datetime,
) -> tuple[list[Pending], list[DeadLetter]]:
    """One period: the messages of its changes against the ledger, and its bad rows."""
    source = adapter.source
    lines = {row.record_key: row.line for row in rows}
    issue = [Issue(r.record_key, r.content_hash, r.fields) for r in rows]
    changes = ledger.plan(source.value, scope, issue, adapter.complete_periods)
    summary.unchanged += len(rows) - sum(1 for c in changes if c.kind != "cancelled")
    pending: list[Pending] = []
    dead: list[DeadLetter] = []
    for change in changes:
        row = Row(change.record_key, scope, lines.get(change.record_key, 0), change.content)
        try:
            event = adapter.to_event(row, change.version, published_at, change.cancelled)
        except (ValidationError, ValueError) as exc:
            error = RowError(str(path), row.line, _explain(exc), adapter.dead_letter_bytes(row))
            dead.append(_reject(adapter, error, summary, topics))
            continue
        label: Label = (
            "cancellation" if change.cancelled else "new" if change.version == 1 else "correction"
        )
        message = RawMessage(source, change.record_key.encode(), encode_incident(event), label)
        pending.append(Pending(event.data.occurred.start, scope, change, message))
    return pending, dead


def _deliver(
    adapter: Adapter,
    pending: Sequence[Pending],
    dead: Sequence[DeadLetter],
    publisher: BulkPublisher,
    ledger: Ledger,
    summary: ImportSummary,
) -> None:
    """Publish, wait for the broker's acknowledgement, then record in the ledger."""
    publisher.send([p.message for p in pending], dead)
    by_scope: dict[str, list[Change]] = defaultdict(list)
    for p in pending:
        by_scope[p.scope].append(p.change)
    for scope, changes in by_scope.items():
        ledger.record(adapter.source.value, scope, changes)
    summary.published.update(p.change.kind for p in pending)


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _reject(
    adapter: Adapter, error: RowError, summary: ImportSummary, topics: Topics
) -> DeadLetter:
    summary.rejected.append(error)
    return DeadLetter.for_row(
        detail=error.reason,
        stage=f"feed:{adapter.source.value}",
        topic=topics.raw(adapter.source).name,
        file=error.file,
        line=error.line,
        value=error.raw,
        rejected_at=datetime.now(UTC),
    )
