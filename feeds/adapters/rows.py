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


def read_text(path: Path) -> str:
    """A file's text: UTF-8 after an optional BOM, every line ending (CRLF, a lone CR) read
    as LF. A byte that is not UTF-8 is kept as a lone surrogate
    (``surrogateescape``): only the rows holding one are rejected (``not_utf8``), not the
    whole file, and their dead-letter copy has the bytes as sent."""
    return path.read_text(encoding="utf-8-sig", errors="surrogateescape")


def csv_records(text: str) -> Iterator[tuple[int, list[str] | str]]:
    """Every CSV record of ``text`` (``read_text``) with its (last) line number: its values,
    or why the csv module cannot read it (a field over its size limit), after which it goes
    on with the next line."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, f"not CSV: {exc}"
        else:
            yield reader.line_num, values


def csv_lines(text: str) -> list[str]:
    """The lines of ``text`` as ``csv_records`` numbers them (line ``n`` is item ``n - 1``):
    only LF ends a line, not the form feeds or separators ``str.splitlines`` also splits at."""
    return text.split("\n")


def not_utf8(values: list[str]) -> str | None:
    """Why a row read by ``read_text`` cannot be adapted, if it holds bytes that are not UTF-8."""
    for number, value in enumerate(values, start=1):
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                return f"column {number} is not UTF-8 text"
    return None


def in_columns(record: list[str] | str, width: int) -> list[str] | str:
    """A record of ``csv_records`` as the values of a header ``width`` columns wide, or why
    it is not (unreadable, another number of columns, not UTF-8)."""
    if isinstance(record, str):
        return record
    if len(record) != width:
        return f"expected {width} columns, found {len(record)}"
    return not_utf8(record) or record


def read_csv(
    path: Path, columns: tuple[str, ...], kind: str, adapt: Callable[[list[str], int], Row | str]
) -> Iterator[Row | RowError]:
    """Every row of a CSV published with exactly these columns, adapted (``adapt``: the
    row's values and line -> a row, or why not) or rejected with its line and bytes, in file
    order; a file with other columns is one error."""
    text = read_text(path)
    lines = csv_lines(text)
    records = csv_records(text)
    _, header = next(records, (1, None))
    if header is None or isinstance(header, str) or tuple(header) != columns:
        yield RowError(str(path), 1, f"not a {kind}: header {header}", b"")
        return
    for line, values in records:
        raw = (lines[line - 1] if line <= len(lines) else "").encode(errors="surrogateescape")
        row = values if isinstance(values, str) else not_utf8(values) or adapt(values, line)
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
