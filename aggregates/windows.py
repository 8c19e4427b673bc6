"""Exact window figures from bucket totals and partial-home details (pure).

A window [start, end) (epoch hours) counts an event when the event's span lies wholly
inside it; an event that only overlaps the window is reported as ``unplaced`` there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aggregates import hashes
from aggregates.buckets import Decomposition, Span, placement
from aggregates.hashes import HashName


@dataclass(slots=True)
class Tally:
    count: int = 0
    unplaced: int = 0


def total_hashes(dec: Decomposition, level: str, breakdown: str) -> list[HashName]:
    """The bucket totals that tile a window (without authority)."""
    return [hashes.totals(piece, level, breakdown) for piece in dec.pieces]


def detail_hashes(dec: Decomposition, level: str, breakdown: str) -> list[HashName]:
    """The details of the homes a window covers partly (without authority)."""
    return [hashes.detail(bucket, level, breakdown) for bucket in dec.partial]


def summarize(
    totals: Iterable[Mapping[str, int]],
    details: Iterable[Mapping[str, int]],
    start: int,
    end: int,
) -> dict[str, Tally]:
    """Field ('area|category[|value]') -> count and unplaced for the window: the reference
    arithmetic. Readers run the same inside Redis (``store/read_windows.lua``), and a property
    test holds the two equal (``tests/integration/test_read_windows.py``)."""
    tallies: dict[str, Tally] = {}
    for bucket in totals:
        for name, n in bucket.items():
            tallies.setdefault(name, Tally()).count += n
    for bucket in details:
        for name, n in bucket.items():
            base, _, span_text = name.rpartition("|")
            first, _, last = span_text.partition("-")
            where = placement(Span(int(first), int(last)), start, end)
            if where == "inside":
                tallies.setdefault(base, Tally()).count += n
            elif where == "unplaced":
                tallies.setdefault(base, Tally()).unplaced += n
    return tallies
