"""Checking the audit log's hash chain (``safer audit verify``; the format is
``dashboard.audit``'s docstring).

The first discrepancy is reported by line number: a line altered (the next line, or the
head for the last line, records another hash for it), inserted (the next line chains past
it), missing (a gap in ``n``, or the head records more lines than the file holds), or out of
order. Lines read one at a time, twice at most (the second pass only to tell a reordered
line from a missing one), so a large log needs no memory.

What it cannot see: someone who rewrites every line after an edit *and* the head (the chain
has no secret), or who removes a tail and the head file together. Keeping the printed head
hash somewhere the log's writers cannot change closes both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard.audit import GENESIS, AuditError, Head, chain_link, head_path, line_hash


@dataclass(frozen=True, slots=True)
class Verdict:
    intact: bool
    message: str
    line: int | None = None  # the first line found wrong


@dataclass
class _Walk:
    """Where the chain walk stands: the last good line and the expectation for the next."""

    legacy: int = 0
    lines: int = 0
    expected_n: int = 1
    expected_prev: str = GENESIS
    before_last: tuple[int, str] | None = None  # (n, hash) of the line before the last good one


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as log:
        for raw in log:
            yield raw.rstrip(b"\n")


def verify(path: Path) -> Verdict:
    """Whether the log at ``path`` and its head agree with an untouched chain."""
    head = Head.read(head_path(path))
    if not path.exists():
        if head is None:
            raise AuditError(f"no audit log at {path}")
        return Verdict(False, f"the log is missing; its head records {head.n} lines", 1)
    walk = _Walk()
    legacy = hashlib.sha256()
    for number, line in enumerate(_lines(path), start=1):
        link = chain_link(line)
        if walk.lines == walk.legacy and link is None:  # still in the unchained prefix
            walk.legacy = walk.lines = number
            legacy.update(line + b"\n")
            walk.expected_n, walk.expected_prev = number + 1, legacy.hexdigest()
            continue
        if link is None:
            return Verdict(
                False, f"line {number}: altered or inserted (not a chained entry)", number
            )
        if link != (walk.expected_n, walk.expected_prev):
            return _diagnose(path, number, link, walk)
        walk.before_last = (walk.expected_n - 1, walk.expected_prev)
        walk.lines, walk.expected_n, walk.expected_prev = number, link[0] + 1, line_hash(line)
    return _against_head(walk, head)


def _diagnose(path: Path, number: int, link: tuple[int, str], walk: _Walk) -> Verdict:
    """The first line whose (n, prev) is not the expected one: what happened there."""
    n, prev = link
    expected = walk.expected_n
    if n == expected:
        if walk.lines == walk.legacy and walk.legacy:
            return Verdict(
                False,
                f"lines 1–{walk.legacy} (unchained legacy lines) were altered after line "
                f"{number} chained them",
                1,
            )
        if number == 1:
            return Verdict(False, "line 1: altered (it does not start the chain)", 1)
        return Verdict(
            False,
            f"line {number - 1}: altered (line {number} records another hash for it)",
            number - 1,
        )
    if n > expected:
        found = _line_of(path, expected, after=number)
        if found is not None:
            return Verdict(
                False, f"line {number}: out of order (entry {expected} is at line {found})", number
            )
        gap = f"entry {expected}" if n == expected + 1 else f"entries {expected}–{n - 1}"
        return Verdict(False, f"line {number}: {gap} missing before it", number)
    if walk.before_last is not None and (n, prev) == (
        walk.before_last[0] + 1,
        walk.before_last[1],
    ):
        return Verdict(
            False, f"line {number - 1}: inserted (line {number} chains past it)", number - 1
        )
    return Verdict(
        False, f"line {number}: out of order or repeated (entry {n} belongs earlier)", number
    )


def _line_of(path: Path, n: int, after: int) -> int | None:
    """The line number, after line ``after``, of the chained entry ``n``, if any."""
    for number, line in enumerate(_lines(path), start=1):
        link = chain_link(line) if number > after else None
        if link is not None and link[0] == n:
            return number
    return None


def _against_head(walk: _Walk, head: Head | None) -> Verdict:
    """The walk's end compared with the head: a removed tail, an altered last line."""
    chained = walk.lines - walk.legacy
    legacy = (
        f"; {walk.legacy} unchained legacy lines before line {walk.legacy + 1}"
        if walk.legacy
        else ""
    )
    last_n, last_hash = walk.expected_n - 1, walk.expected_prev
    if head is None:
        if chained:
            return Verdict(
                False,
                f"no head file: lines 1–{walk.lines} chain, but a removed end cannot be ruled out",
                walk.lines + 1,
            )
        return Verdict(True, f"intact: {walk.lines} lines, none chained yet{legacy}")
    if head.n > last_n:
        gap = f"entry {head.n}" if head.n == last_n + 1 else f"entries {last_n + 1}–{head.n}"
        return Verdict(
            False, f"{gap} missing after line {walk.lines} (the end was removed)", walk.lines + 1
        )
    if head.n < last_n and walk.before_last != (head.n, head.hash):
        return Verdict(
            False, f"line {walk.lines}: appended past the head (entry {head.n})", walk.lines
        )
    if head.n == last_n and head.hash != last_hash:
        return Verdict(
            False, f"line {walk.lines}: altered (the head records another hash for it)", walk.lines
        )
    return Verdict(True, f"intact: {walk.lines} lines, {chained} chained{legacy}; head {last_hash}")
