"""One export file through the real importer (``feeds.publish.importer.import_files``) with no
broker: a fresh in-memory ledger and a publisher that records what it was given, serialising the
dead letters as ``BulkPublisher`` does. Shared by the adapter property tests and ``bench/fuzz``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from feeds.adapters.rows import Adapter, Row, RowError
from feeds.publish.bulk import BulkPublisher
from feeds.publish.importer import import_files
from feeds.publish.ledger import Ledger
from feeds.raw import RawMessage
from schemas.deadletter import DeadLetter
from schemas.topics import Topics


class RecordingPublisher(BulkPublisher):
    """Stands in for the broker: keeps the raw messages and serialises the dead letters the
    way ``BulkPublisher`` does."""

    def __init__(self) -> None:
        self.messages: list[RawMessage] = []
        self.dead: list[bytes] = []

    def send(self, messages: Iterable[RawMessage], dead_letters: Iterable[DeadLetter] = ()) -> int:
        sent = list(messages)
        self.messages += sent
        self.dead += [letter.model_dump_json().encode() for letter in dead_letters]
        return len(sent)


@dataclass(frozen=True)
class Outcome:
    read: list[Row | RowError]
    events: list[object]
    rejected: list[RowError]
    publisher: RecordingPublisher


def import_file(adapter: Adapter, path: Path) -> Outcome:
    """``path`` through ``feeds.publish.importer.import_files`` (fresh in-memory ledger, recording
    publisher): what the adapter read, the events made and every row rejected."""
    read: list[Row | RowError] = []
    events: list[object] = []

    def reading(file: Path) -> Iterator[Row | RowError]:
        read.extend(adapter.read(file))
        return iter(list(read))

    def making(row: Row, version: int, published: datetime, cancelled: bool) -> Any:
        event = adapter.to_event(row, version, published, cancelled)
        events.append(event)
        return event

    recording = replace(adapter, read=reading, to_event=making)
    publisher = RecordingPublisher()
    with Ledger(Path(":memory:")) as ledger:
        summary = import_files(recording, [path], publisher, ledger, Topics("fuzz."))
    return Outcome(read, events, summary.rejected, publisher)
