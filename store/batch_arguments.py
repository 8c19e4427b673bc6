"""KEYS and ARGV of ``apply_batch.lua`` for a planned batch (pure): every key the batch
touches, spelled by ``store.keys`` in the plan's generation and each named once, and the
batch itself as one JSON argument that refers to keys by their number in KEYS (one string to
pack, not thousands)."""

from __future__ import annotations

import time

import orjson

from aggregates.buckets import DAY, HOUR
from aggregates.contributions import expand
from aggregates.hashes import TOTALS, HashName
from store.keys import Keys
from store.plan import BatchPlan, Planner

FIXED_KEYS = 4
"""The generation pointer, the ticker, its rows and the outcome counters come first."""


def apply_arguments(
    k: Keys, planner: Planner, plan: BatchPlan, live: bool, ttl_ms: int, ticker_length: int
) -> tuple[list[str], list[str | bytes]]:
    """KEYS: the fixed four, the records' states, the hashes, the sorted sets (the script
    type-checks each section). ARGV: the generation checked (``""`` for a rebuild's own) and
    the batch (its layout: ``store/apply_batch.lua``)."""
    gen = plan.generation
    keys = [k.generation_pointer, k.latest, k.latest_data, k.outcomes]
    keys += [k.record(name, gen) for name, _, _ in plan.records]
    number = _Numbering(keys)
    groups, expiries = _hashes(k, planner, plan, number)
    maxima = [
        [number(k.freshness(source)), name, value]
        for (source, name), value in (plan.maxima.items() if live else ())
    ]
    hashes = len(keys) - FIXED_KEYS - len(plan.records)
    outbox = _outbox(k, plan, number) if live else []  # a sorted set: numbered after hashes
    batch = {
        "n": [len(plan.records), hashes],
        "rec": [[expected, state] for _, expected, state in plan.records],
        "ttl": ttl_ms,
        "h": groups,
        "e": expiries,
        "t": [list(row) for row in plan.ticker] if live else [],
        "tl": ticker_length,
        "o": [x for (o, src), n in plan.outcomes.items() for x in (f"{o}|{src}", n)]
        if live
        else [],
        "m": maxima,
        "z": [
            [
                number(k.reference(kind, ref, gen)),
                member,
                "" if hour is None else hour,
                0 if hour is None else planner.repeat_expiry(hour),
            ]
            for ((kind, ref), member), hour in plan.zsets.items()
        ]
        + [
            # a geohash needs all 16 digits: a Lua number would print as 14
            [
                number(k.geo(category, week, gen)),
                member,
                "" if score is None else str(score),
                planner.geo_expiry(week),
            ]
            for ((category, week), member), score in plan.geo.items()
        ]
        + outbox,
    }
    return keys, [gen if live else "", orjson.dumps(batch)]


CHANGE_LEVELS = frozenset({"borough", "ward", "lsoa"})
CHANGE_GRAINS = frozenset({HOUR, DAY})
HOURS_PUBLISHED = 48
"""Hour cells are on the aggregate change stream for the last 48 hours only."""
OUTBOX_DAYS = 30
"""An outbox nobody drains for this long expires (the publisher's absence is logged)."""


def _outbox(k: Keys, plan: BatchPlan, number: _Numbering) -> list[list[object]]:
    """The day and hour cells (category totals by borough, ward and LSOA) the batch
    changes, as sorted-set entries of the aggregate change outbox, scored by now (ms): in
    the same script as the counts, so no applied change can miss the stream (the replay of
    a batch changes no count, so only the first application could record it)."""
    cells: set[str] = set()
    now = time.time()
    oldest_hour = int(now // 3600) - HOURS_PUBLISHED  # older hour cells are not published
    for (kind, grain, ident, (level, breakdown, authority)), fields in plan.changes.items():
        if kind != TOTALS or breakdown != "cat" or level not in CHANGE_LEVELS:
            continue
        changed = [name for name, n in fields.items() if n]
        if not changed:
            continue
        for hashed in expand((kind, grain, ident, (level, breakdown, authority))):
            if hashed.grain == HOUR and int(hashed.bucket) < oldest_hour:
                continue
            if hashed.grain in CHANGE_GRAINS:
                prefix = f"{hashed.grain}|{hashed.bucket}|{level}|{authority}|"
                cells.update(prefix + name for name in changed)
    if not cells:
        return []
    key = number(k.aggregates_outbox)
    expire = int(now) + OUTBOX_DAYS * 86_400
    score = str(int(now * 1000))
    return [[key, cell, score, expire] for cell in sorted(cells)]


def _hashes(
    k: Keys, planner: Planner, plan: BatchPlan, number: _Numbering
) -> tuple[list[object], list[int]]:
    """Changed hash fields by group of keys (``aggregates.contributions.Group``; a day index
    is a group of one): each group's key numbers, then its fields and deltas; and each key's
    expiry once, as (key number, unix time) pairs."""
    gen = plan.generation
    groups: list[object] = []
    expiries: list[int] = []
    numbers: dict[HashName, int] = {}
    for group, fields in plan.changes.items():
        pairs = [x for name, n in fields.items() if n for x in (name, n)]
        if not pairs:
            continue
        at = []
        for name in expand(group):
            found = numbers.get(name)
            if found is None:
                found = numbers[name] = number(k.aggregate(name, gen))
                expires = planner.expiry(name.grain, name.bucket)
                if expires:
                    expiries += (found, expires)
            at.append(found)
        groups.append([at, pairs])
    for (kind, day), refs in plan.day_index.items():
        pairs = [x for ref, n in refs.items() if n for x in (ref, n)]
        if pairs:
            found = number(k.day_index(kind, day, gen))
            expiries += (found, planner.day_index_expiry(day))
            groups.append([[found], pairs])
    for day, counts in plan.delays.items():
        found = number(k.delays(day))
        expiries += (found, planner.day_index_expiry(day))
        groups.append([[found], [x for name, n in counts.items() for x in (name, n)]])
    return groups, expiries


class _Numbering:
    """Numbers keys as KEYS will hold them (1-based), each added once when first named."""

    def __init__(self, keys: list[str]) -> None:
        self._keys = keys
        self._at: dict[str, int] = {}

    def __call__(self, key: str) -> int:
        at = self._at.get(key)
        if at is None:
            self._keys.append(key)
            at = self._at[key] = len(self._keys)
        return at
