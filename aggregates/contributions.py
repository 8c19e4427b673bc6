"""The aggregation arithmetic: what a record version adds to which Redis hash field.

Pure functions over ``AggInput``; the live worker and ``safer rebuild`` both use them, so
a rebuild is byte-identical to the live state. Keys are given without the deployment
prefix: ``a:{grain}:{bucket}:{level}:{breakdown}:{authority}`` (bucket totals) and
``x:{grain}:{bucket}:{level}:{breakdown}:{authority}`` (detail of day-, month- and long-home
events, with their span, to settle partly covered days and months exactly).

Every aggregate key is **sharded by local authority** (the record's borough-level area): a
reader asks for its partnership's authorities only, so a refresh costs the same whether
Redis holds one borough or all of England (``sharded``; ``store.reader``).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from itertools import product

from aggregates.buckets import ALL_BUCKET, HOUR, MONTH, Bucket, home, rollup_of
from aggregates.config import SEARCH, AggregationConfig, sharded
from aggregates.hour_of_week import aoristic
from aggregates.inputs import AggInput
from schemas.categories import ACTIVITY_CATEGORIES

PROFILE = "how"  # breakdown name of hour-of-week profiles
Cell = tuple[str, str]  # (key without prefix, hash field)


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


Group = tuple[str, str, str]
"""Keys (without prefix) that receive the same field deltas, not yet spelled out:
``("a", home bucket, suffix)`` is the bucket totals of that home and of every larger
bucket (``all`` too for plain category and profiles); ``("x", home bucket, suffix)`` is
the detail key of day-, month- and long-home events; ``("k", "", key)`` is one key. A
batch touches few groups, so keys are built once per batch (``expand``), not per event."""
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
    own_id = str(own)
    detail = "" if own.grain == HOUR else f"|{inp.span.start}-{inp.span.end}"
    dims = dict(inp.dims)
    cache: dict[str, tuple[str, ...]] = {}
    activity = inp.category in ACTIVITY_CATEGORIES  # its own keys; no profile
    shard = inp.areas[0][1] if inp.areas else ""  # the borough level comes first
    for level, area in inp.areas:
        base = f"{area}|{inp.category}"
        for breakdown, suffix in config.suffixes_for(level, activity, shard):
            values = cache.get(breakdown)
            if values is None:
                values = cache[breakdown] = _values(dims, breakdown)
            if not values:
                continue
            totals = _fields(into, ("a", own_id, suffix))
            details = _fields(into, ("x", own_id, suffix)) if detail else None
            for value in values:
                name = f"{base}|{value}" if value else base
                totals[name] = totals.get(name, 0) + sign
                if details is not None:
                    name += detail
                    details[name] = details.get(name, 0) + sign
        if level in config.profile_levels and not activity:
            suffix = sharded(f":{level}:{PROFILE}", shard)
            prefix = f"{base}|"
            month_of_fields = ""
            fields: dict[str, int] = {}
            for month, how, weight in aoristic(inp.span):
                if month != month_of_fields:
                    fields = _fields(into, ("a", f"{MONTH}:{month}", suffix))
                    month_of_fields = month
                name = prefix + how
                fields[name] = fields.get(name, 0) + sign * weight


@lru_cache(maxsize=65536)
def expand(group: Group) -> tuple[str, ...]:
    """The keys (without prefix) a group stands for."""
    kind, bucket_id, suffix = group
    if kind == "k":
        return (suffix,)
    if kind == "x":
        return (f"x:{bucket_id}{suffix}",)
    grain, _, ident = bucket_id.partition(":")
    with_all = suffix.split(":")[2] in _WITH_ALL  # ":{level}:{breakdown}:{authority}"
    return tuple(
        f"a:{b}{suffix}" for b in rollup_of(Bucket(grain, ident)) if with_all or b != ALL_BUCKET
    )


def expanded(changes: Changes) -> Counter[Cell]:
    """Every (key, field) and its delta, the groups spelled out (zero deltas left out)."""
    out: Counter[Cell] = Counter()
    for group, fields in changes.items():
        keys = expand(group)
        for name, n in fields.items():
            for key in keys:
                out[key, name] += n
    return Counter({cell: n for cell, n in out.items() if n})


def contribution(inp: AggInput, config: AggregationConfig) -> Counter[Cell]:
    """Everything one record version adds: counts (1 each) and profile weights."""
    return expanded(deltas(None, inp, config))


def deltas(old: AggInput | None, new: AggInput | None, config: AggregationConfig) -> Changes:
    """Net change when a record goes from ``old`` to ``new`` (None: no contribution)."""
    change: Changes = {}
    add_change(change, old, new, config)
    return change
