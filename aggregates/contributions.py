"""The aggregation arithmetic: what a record version adds to which Redis hash field.

Pure functions over ``AggInput``; the live worker and ``safer rebuild`` both use them, so
a rebuild is byte-identical to the live state. Hashes are named by their parts
(``aggregates.hashes.HashName``: the bucket totals, and the detail of day-, month- and
long-home events with their span, to settle partly covered days and months exactly), each
sharded by the record's local authority; ``store.keys`` spells them.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import product

from aggregates.buckets import ALL_BUCKET, HOUR, MONTH, Bucket, home, rollup_of
from aggregates.config import LSOA_BREAKDOWN, SEARCH, AggregationConfig
from aggregates.hashes import DETAIL, TOTALS, HashName, Shard
from aggregates.hour_of_week import aoristic
from aggregates.inputs import AggInput
from schemas.categories import ACTIVITY_CATEGORIES

PROFILE = "how"  # breakdown name of hour-of-week profiles
Cell = tuple[HashName, str]  # (hash, field)


def breakdown_values(inp: AggInput, breakdown: str) -> tuple[str, ...]:
    """The values an event has for a breakdown ('' for plain category)."""
    return _values(dict(inp.dims), breakdown)


def _values(dims: dict[str, tuple[str, ...]], breakdown: str) -> tuple[str, ...]:
    if breakdown in ("cat", SEARCH):
        return ("",)
    breakdown = breakdown.removeprefix(f"{SEARCH}.")
    if "+" not in breakdown:
        return dims.get(breakdown, ())
    parts = [dims.get(name, ()) for name in breakdown.split("+")]
    return tuple("/".join(combo) for combo in product(*parts))


Group = tuple[str, str, str, Shard]
"""Hashes that receive the same field deltas, not yet spelled out: ``(TOTALS, grain, bucket
id, shard)`` is the bucket totals of that home and of every larger bucket (``all`` too for
plain category and profiles); ``(DETAIL, grain, bucket id, shard)`` is the detail of a
day-, month- or long-home. A batch touches few groups, so hashes are named once per batch
(``expand``), not per event."""
Changes = dict[Group, dict[str, int]]
"""Net deltas of a batch per group and hash field, accumulated in place by ``add_change``."""

_WITH_ALL = ("cat", PROFILE, SEARCH)  # breakdowns also totalled in the ``all`` bucket


def add_change(
    into: Changes, old: AggInput | None, new: AggInput | None, config: AggregationConfig
) -> None:
    """Add to ``into`` the net change of a record going from ``old`` to ``new`` (None: no
    contribution) — in place, so a batch's changes accumulate in one mapping."""
    if new is not None:
        _add(into, new, config, 1)
    if old is not None:
        _add(into, old, config, -1)


def _fields(into: Changes, group: Group) -> dict[str, int]:
    fields = into.get(group)
    if fields is None:
        fields = into[group] = {}
    return fields


def _add(into: Changes, inp: AggInput, config: AggregationConfig, sign: int) -> None:
    """Counts (one per breakdown value and area) and aoristic profile weights. Hot path."""
    own = home(inp.span)
    grain, own_id = own.grain, own.id
    detail = "" if grain == HOUR else f"|{inp.span.start}-{inp.span.end}"
    dims = dict(inp.dims)
    for level, area in inp.areas:
        if level == "lsoa":
            dims[LSOA_BREAKDOWN] = (area,)  # where inside a zone (a zone-level breakdown)
    cache: dict[str, tuple[str, ...]] = {}
    activity = inp.category in ACTIVITY_CATEGORIES  # its own hashes; no profile
    # the borough level comes first (a record of the wider level alone: its authority there)
    authority = inp.areas[0][1] if inp.areas else ""
    for level, area in inp.areas:
        base = f"{area}|{inp.category}"
        for breakdown, shard in config.shards_for(level, activity, authority):
            values = cache.get(breakdown)
            if values is None:
                values = cache[breakdown] = _values(dims, breakdown)
            if not values:
                continue
            totals = _fields(into, (TOTALS, grain, own_id, shard))
            details = _fields(into, (DETAIL, grain, own_id, shard)) if detail else None
            for value in values:
                name = f"{base}|{value}" if value else base
                totals[name] = totals.get(name, 0) + sign
                if details is not None:
                    name += detail
                    details[name] = details.get(name, 0) + sign
        if level in config.profile_levels and not activity:
            profile = (level, PROFILE, authority)
            prefix = f"{base}|"
            month_of_fields = ""
            fields: dict[str, int] = {}
            for month, how, weight in aoristic(inp.span):
                if month != month_of_fields:
                    fields = _fields(into, (TOTALS, MONTH, month, profile))
                    month_of_fields = month
                name = prefix + how
                fields[name] = fields.get(name, 0) + sign * weight


@lru_cache(maxsize=65536)
def expand(group: Group) -> tuple[HashName, ...]:
    """The hashes a group stands for."""
    kind, grain, ident, (level, breakdown, authority) = group
    if kind == DETAIL:
        return (HashName(DETAIL, grain, ident, level, breakdown, authority),)
    with_all = breakdown in _WITH_ALL
    return tuple(
        HashName(TOTALS, b.grain, b.id, level, breakdown, authority)
        for b in rollup_of(Bucket(grain, ident))
        if with_all or b != ALL_BUCKET
    )


def expanded(changes: Changes) -> Counter[Cell]:
    """Every (hash, field) and its delta, the groups spelled out (zero deltas left out)."""
    out: Counter[Cell] = Counter()
    for group, fields in changes.items():
        names = expand(group)
        for name, n in fields.items():
            for hash_name in names:
                out[hash_name, name] += n
    return Counter({cell: n for cell, n in out.items() if n})


def contribution(inp: AggInput, config: AggregationConfig) -> Counter[Cell]:
    """Everything one record version adds: counts (1 each) and profile weights."""
    return expanded(deltas(None, inp, config))


def deltas(old: AggInput | None, new: AggInput | None, config: AggregationConfig) -> Changes:
    """Net change when a record goes from ``old`` to ``new`` (None: no contribution)."""
    change: Changes = {}
    add_change(change, old, new, config)
    return change
