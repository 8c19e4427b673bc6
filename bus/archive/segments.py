"""One partition's archived records on disk: append-only segment files of checksummed frames.

A partition's folder holds segments named by their first offset (``00000000000000000000.seg``,
Kafka's own naming). Each record is one frame::

    u32 body length | u32 CRC-32 of the body | body

    body: i64 offset | i64 timestamp (ms) | i32 key length (-1: none) | key
          | i32 value length (-1: none) | value | u16 header count
          | per header: u16 name length | name | i32 value length (-1: none) | value

``append`` writes frames and ``fsync``s before it returns, so what it reports as archived
survives a crash or a power cut. A crash in the middle of a write leaves a torn last frame:
opening the partition for append cuts the file back to its last whole, checksummed frame.
Offsets only grow: a record at or below the archived end is skipped, which makes a replay of
the same records (the archiver resuming after a crash) harmless.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from safer.errors import SaferError

SEGMENT_BYTES = 64 * 1024 * 1024
_FRAME = struct.Struct(">II")
_HEAD = struct.Struct(">qq")
_LEN32 = struct.Struct(">i")
_LEN16 = struct.Struct(">H")
_SUFFIX = ".seg"


class ArchiveError(SaferError):
    """An archive that cannot be read or does not continue the log it claims to hold."""


@dataclass(frozen=True, slots=True)
class Record:
    """A Kafka record as the broker stored it (its offset and its producer's timestamp)."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


def encode(record: Record) -> bytes:
    parts = [_HEAD.pack(record.offset, record.timestamp), _blob32(record.key)]
    parts.append(_blob32(record.value))
    parts.append(_LEN16.pack(len(record.headers)))
    for name, value in record.headers:
        raw = name.encode()
        parts += [_LEN16.pack(len(raw)), raw, _blob32(value)]
    body = b"".join(parts)
    return _FRAME.pack(len(body), zlib.crc32(body)) + body


def _blob32(data: bytes | None) -> bytes:
    return _LEN32.pack(-1) if data is None else _LEN32.pack(len(data)) + data


def decode(body: bytes) -> Record:
    offset, timestamp = _HEAD.unpack_from(body, 0)
    at = _HEAD.size
    key, at = _read32(body, at)
    value, at = _read32(body, at)
    (count,) = _LEN16.unpack_from(body, at)
    at += _LEN16.size
    headers = []
    for _ in range(count):
        (size,) = _LEN16.unpack_from(body, at)
        name = body[at + _LEN16.size : at + _LEN16.size + size].decode()
        header, at = _read32(body, at + _LEN16.size + size)
        headers.append((name, header))
    return Record(offset, timestamp, key, value, tuple(headers))


def _read32(body: bytes, at: int) -> tuple[bytes | None, int]:
    (size,) = _LEN32.unpack_from(body, at)
    at += _LEN32.size
    if size < 0:
        return None, at
    return body[at : at + size], at + size


def _frames(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(end position, body) of each whole frame; stops at a torn or corrupt tail."""
    position = 0
    while True:
        head = stream.read(_FRAME.size)
        if len(head) < _FRAME.size:
            return
        size, crc = _FRAME.unpack(head)
        body = stream.read(size)
        if len(body) < size or zlib.crc32(body) != crc:
            return
        position += _FRAME.size + size
        yield position, body


def segment_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{_SUFFIX}"))


def _first_offset(path: Path) -> int:
    return int(path.name.removesuffix(_SUFFIX))


def read(folder: Path, start: int = 0) -> Iterator[Record]:
    """Every archived record of a partition from offset ``start``, in offset order."""
    paths = segment_paths(folder)
    for index, path in enumerate(paths):
        if index + 1 < len(paths) and _first_offset(paths[index + 1]) <= start:
            continue
        with path.open("rb") as stream:
            for _, body in _frames(stream):
                record = decode(body)
                if record.offset >= start:
                    yield record


@dataclass
class PartitionLog:
    """Appends to one partition's archive; ``end`` is one past the last archived offset."""

    folder: Path
    segment_bytes: int = SEGMENT_BYTES
    end: int = 0
    _out: BinaryIO | None = field(default=None, repr=False)
    _size: int = 0

    @classmethod
    def open(cls, folder: Path, segment_bytes: int = SEGMENT_BYTES) -> PartitionLog:
        """Open for append, cutting a torn tail left by a crash."""
        folder.mkdir(parents=True, exist_ok=True)
        log = cls(folder, segment_bytes)
        paths = segment_paths(folder)
        if paths:
            log._recover(paths[-1])
        return log

    def _recover(self, last: Path) -> None:
        good, last_offset = 0, _first_offset(last) - 1
        with last.open("rb") as stream:
            for good, body in _frames(stream):  # noqa: B007 - the last one is wanted
                last_offset = decode(body).offset
        if good < last.stat().st_size:
            with last.open("r+b") as stream:
                stream.truncate(good)
                os.fsync(stream.fileno())
        self.end = last_offset + 1
        self._size = good
        self._out = last.open("ab")

    def append(self, records: Iterable[Record]) -> int:
        """Write the records beyond ``end`` and fsync them; returns how many were new."""
        fresh = [r for r in records if r.offset >= self.end]
        for record in fresh:
            frame = encode(record)
            out = self._writer(record.offset, len(frame))
            out.write(frame)
            self._size += len(frame)
            self.end = record.offset + 1
        if fresh and self._out is not None:
            self._out.flush()
            os.fsync(self._out.fileno())
        return len(fresh)

    def _writer(self, offset: int, frame_bytes: int) -> BinaryIO:
        if self._out is None or (self._size + frame_bytes > self.segment_bytes and self._size):
            self._roll(offset)
        assert self._out is not None
        return self._out

    def _roll(self, offset: int) -> None:
        if self._out is not None:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
        self._out = (self.folder / f"{offset:020d}{_SUFFIX}").open("ab")
        self._size = 0
        _fsync_dir(self.folder)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
