"""Repeat callers and repeat locations: which pseudonymised references recur.

Each council record carrying a caller or address pseudonym is a member of that
reference's sorted set, scored by its event hour, and the member names the record's
areas, so a window's repeats per area are counted at read time. A day index lists the
references active each day, so a read only looks at candidates. Corrections move or
remove memberships exactly; the pseudonyms never leave Redis (counts only).
"""

from __future__ import annotations

from collections import Counter

from aggregates.buckets import day_of
from aggregates.inputs import AggInput

REPEAT_LEVELS = ("borough", "ward")
Reference = tuple[str, str]
"""(kind, pseudonym): names a reference's sorted set (``store.keys`` spells it)."""
DayIndex = tuple[str, str]
"""(kind, local day YYYYMMDD): names the hash of references active that day."""
Membership = tuple[Reference, str, int]  # (reference, member, score = event hour)


def memberships(record_key: str, inp: AggInput | None) -> set[Membership]:
    """The reference sets a record version belongs to (none when cancelled or unreferenced)."""
    if inp is None or not inp.refs:
        return set()
    areas = ",".join(f"{level}={area}" for level, area in inp.areas if level in REPEAT_LEVELS)
    member = f"{record_key}|{areas}"
    return {((kind, ref), member, inp.span.start) for kind, ref in inp.refs}


def day_entries(inp: AggInput | None) -> Counter[tuple[DayIndex, str]]:
    """(day index, reference) cells a version adds one to: the day index counts each
    reference's records per day, so corrections retract exactly and a rebuild is equal."""
    if inp is None:
        return Counter()
    return Counter(((kind, day_of(inp.span.start)), ref) for kind, ref in inp.refs)
