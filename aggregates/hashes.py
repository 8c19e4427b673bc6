"""The aggregate hashes, named by their parts (pure): which bucket, area level, breakdown and
local authority a hash holds. ``store.keys`` spells a name as a Redis key; nothing else does.

A hash holds either the **totals** of a bucket (events whose home lies inside it) or the
**detail** of a day, month or ``long`` home (its events with their spans, to settle partly
covered days and months exactly; ``aggregates.buckets``). Every hash is sharded by local
authority (the record's borough-level area; of a record counted at the wider comparison
level alone, its authority there): a reader names a hash without its authority
(``authority=""``) and reads it for each authority of its partnership (``of``), so a refresh
costs the same whether Redis holds one borough or all of England.
"""

from __future__ import annotations

from typing import NamedTuple

from aggregates.buckets import ALL_BUCKET, Bucket

TOTALS, DETAIL = "totals", "detail"
Shard = tuple[str, str, str]
"""(level, breakdown, authority): what a hash is of, besides its kind and bucket."""


class HashName(NamedTuple):
    """One aggregate hash: ``kind`` (``TOTALS`` or ``DETAIL``) of the bucket ``grain``/``bucket``
    (``aggregates.buckets.Bucket``'s grain and id), for a level, breakdown and authority."""

    kind: str
    grain: str
    bucket: str
    level: str
    breakdown: str
    authority: str = ""

    def of(self, authority: str) -> HashName:
        """The same hash, one local authority's part."""
        return self._replace(authority=authority)


def totals(bucket: Bucket, level: str, breakdown: str, authority: str = "") -> HashName:
    """The bucket totals of a bucket: events whose home lies inside it."""
    return HashName(TOTALS, bucket.grain, bucket.id, level, breakdown, authority)


def detail(bucket: Bucket, level: str, breakdown: str, authority: str = "") -> HashName:
    """The detail of a day, month or ``long`` home: its events with their spans."""
    return HashName(DETAIL, bucket.grain, bucket.id, level, breakdown, authority)


def all_time(level: str, breakdown: str = "cat") -> HashName:
    """The all-time totals of a level (without authority)."""
    return totals(ALL_BUCKET, level, breakdown)
