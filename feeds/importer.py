"""Importing partner export files: rows -> changes against the ledger -> raw topic.

One function per source turns a file into adapted rows (``feeds.police`` …); this module
does the rest the same way for every source: rejected rows go to the dead-letter topic
with file and line, each re-issued period is compared with what was published before
(``feeds.ledger``), only new, changed and vanished records are published, and the ledger
is updated once the broker has acknowledged them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from feeds.bulk import BulkPublisher
from feeds.ledger import Change, Issue, Ledger
from feeds.police import PoliceRow, RowError, adapt_event, read_street_csv
from feeds.simulator import Label, RawMessage
from safer.errors import SaferError
from schemas.categories import Source
from schemas.codec import encode_incident
from schemas.deadletter import DeadLetter
from streams.topics import Topics

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
    """``path`` itself, or the files in it matching ``pattern`` (sorted by name)."""
    if path.is_dir():
        return sorted(p for p in path.glob(pattern) if p.is_file())
    if path.is_file():
        return [path]
    raise SaferError(f"no such file or folder: {path}")


def import_police(
    files: Sequence[Path],
    publisher: BulkPublisher,
    ledger: Ledger,
    topics: Topics,
    progress: Progress | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ImportSummary:
    """Publish street-level crime files; returns what was published, skipped and rejected."""
    summary = ImportSummary()
    for path in files:
        rows = list(read_street_csv(path))
        summary.files += 1
        summary.rows += len(rows)
        by_scope: dict[str, list[PoliceRow]] = defaultdict(list)
        rejected = [row for row in rows if isinstance(row, RowError)]
        for row in rows:
            if not isinstance(row, RowError):
                by_scope[f"{row.record_key.split(':')[1]}/{row.month}"].append(row)
        publisher.send([], [_reject(error, summary, topics) for error in rejected])
        done = summary.rows - len(rows)
        for scope, scoped in by_scope.items():
            _publish_scope(scope, scoped, path, publisher, ledger, topics, summary, now())
            done += len(scoped)
            if progress is not None:
                progress(done)
    return summary


def _publish_scope(
    scope: str,
    rows: list[PoliceRow],
    path: Path,
    publisher: BulkPublisher,
    ledger: Ledger,
    topics: Topics,
    summary: ImportSummary,
    published_at: datetime,
) -> None:
    """One force-month: publish its changes, then record them in the ledger."""
    month = scope.split("/", 1)[1]
    lines = {row.record_key: row.line for row in rows}
    changes = ledger.plan(
        Source.POLICE.value, scope, [Issue(r.record_key, r.content_hash, r.fields) for r in rows]
    )
    summary.unchanged += len(rows) - sum(1 for c in changes if c.kind != "cancelled")
    sent: list[Change] = []
    messages: list[RawMessage] = []
    dead: list[DeadLetter] = []
    for change in changes:
        row = PoliceRow(change.record_key, month, lines.get(change.record_key, 0), change.content)
        event = adapt_event(row, change.version, published_at, str(path), change.cancelled)
        if isinstance(event, RowError):
            dead.append(_reject(event, summary, topics))
            continue
        label: Label = (
            "cancellation" if change.cancelled else "new" if change.version == 1 else "correction"
        )
        messages.append(
            RawMessage(Source.POLICE, change.record_key.encode(), encode_incident(event), label)
        )
        sent.append(change)
    publisher.send(messages, dead)  # acknowledged by the broker before it is recorded
    ledger.record(Source.POLICE.value, scope, sent)
    summary.published.update(c.kind for c in sent)


def _reject(error: RowError, summary: ImportSummary, topics: Topics) -> DeadLetter:
    summary.rejected.append(error)
    return DeadLetter.for_row(
        detail=error.reason,
        stage="feed:police",
        topic=topics.raw(Source.POLICE).name,
        file=error.file,
        line=error.line,
        value=error.raw,
        rejected_at=datetime.now(UTC),
    )
