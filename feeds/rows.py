"""What every adapter reads a partner's export into: rows with a stable record key, or
errors naming file and line."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schemas.categories import EventKind, RecordStatus, Source
from schemas.events import IncidentEvent

WITHHELD = "[withheld]"
"""Stands in for an identifying value in the dead-letter copy of a refused row."""


@dataclass(frozen=True, slots=True)
class Row:
    """One record as exported: its key, the period it belongs to, its line and columns."""

    record_key: str
    scope: str
    """The period a partner re-issues as a whole (police: ``merseyside/2018-03``)."""
    line: int
    fields: tuple[str, ...]
    """The row's columns as exported (the content a re-issue is compared on)."""

    @property
    def content_hash(self) -> str:
        return hashlib.sha256("\x1f".join(self.fields).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that cannot be adapted: where it is, why, and its original bytes."""

    file: str
    line: int
    reason: str
    raw: bytes

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def read_csv(
    path: Path, columns: tuple[str, ...], kind: str, adapt: Callable[[list[str], int], Row | str]
) -> Iterator[Row | RowError]:
    """Every row of a CSV published with exactly these columns, adapted (``adapt``: the
    row's values and line -> a row, or why not) or rejected with its line and bytes, in file
    order; a file with other columns is one error."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(header) != columns:
        yield RowError(str(path), 1, f"not a {kind}: header {header}", b"")
        return
    for values in reader:
        line = reader.line_num
        raw = (lines[line - 1] if line <= len(lines) else "").encode()
        row = adapt(values, line)
        yield RowError(str(path), line, row, raw) if isinstance(row, str) else row


def envelope(
    row: Row,
    version: int,
    published: datetime,
    cancelled: bool,
    partner: str,
    kind: EventKind,
    source: Source,
) -> dict[str, object]:
    """The contract envelope of a row version (its payload goes under ``data``); the event
    id is derived from the record key and version, so a re-run publishes the same id."""
    return {
        "id": hashlib.sha256(f"{row.record_key}#{version}".encode()).hexdigest()[:32],
        "partner": partner,
        "time": published,
        "record_key": row.record_key,
        "version": version,
        "status": RecordStatus.CANCELLED if cancelled else RecordStatus.ACTIVE,
        "type": kind,
        "source": source,
    }


ToEvent = Callable[[Row, int, datetime, bool], IncidentEvent]
"""(row, version, published at, cancelled) -> the event (raises ValidationError/ValueError)."""


@dataclass(frozen=True, slots=True)
class Adapter:
    """A partner export format: how to read it and turn a row into an event."""

    source: Source
    pattern: str
    """Which files of a folder are exports of this kind: a glob, or several separated by
    ``|`` (police: ``*-street.csv|*-street.json``)."""
    read: Callable[[Path], Iterator[Row | RowError]]
    to_event: ToEvent
    complete_periods: bool
    """True: a re-issued period replaces the earlier issue, so a record missing from it is
    cancelled (police months). False: exports are incremental (missing says nothing)."""
    dead_letter_bytes: Callable[[Row], bytes] = lambda row: ",".join(row.fields).encode()
    """What the dead-letter topic carries of a row its event was refused for (an adapter
    handling personal data withholds what is identifying)."""
