"""The aggregation arithmetic: what a record version adds to which Redis hash field.

Pure functions over ``AggInput``; the live worker and ``safer rebuild`` both use them, so
a rebuild is byte-identical to the live state. Keys are given without the deployment
prefix: ``a:{grain}:{bucket}:{level}:{breakdown}`` (bucket totals) and
``x:{grain}:{bucket}:{level}:{breakdown}`` (detail of day-, month- and long-home events,
with their span, to settle partly covered days and months exactly).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from itertools import product

from aggregates.buckets import ALL_BUCKET, HOUR, MONTH, home, rollup
from aggregates.config import AggregationConfig
from aggregates.inputs import AggInput
from aggregates.profiles import aoristic

PROFILE = "how"  # breakdown name of hour-of-week profiles
Cell = tuple[str, str]  # (key without prefix, hash field)


def breakdown_values(inp: AggInput, breakdown: str) -> tuple[str, ...]:
    """The values an event has for a breakdown ('' for plain category)."""
    return _values(dict(inp.dims), breakdown)


def _values(dims: dict[str, tuple[str, ...]], breakdown: str) -> tuple[str, ...]:
    if breakdown == "cat":
        return ("",)
    if "+" not in breakdown:
        return dims.get(breakdown, ())
    parts = [dims.get(name, ()) for name in breakdown.split("+")]
    return tuple("/".join(combo) for combo in product(*parts))


def field(area: str, category: str, value: str) -> str:
    return f"{area}|{category}|{value}" if value else f"{area}|{category}"


def cells(inp: AggInput, config: AggregationConfig) -> Iterator[Cell]:
    """Every (key, field) of counts the record version adds one to.

    Totals go to the event's rollup buckets (``all`` for plain category only: all-time
    dimension figures are not read); day-, month- and long-home events also get a
    detail field carrying their span. Hot path: strings are built once per event.
    """
    own = home(inp.span)
    detail = "" if own.grain == HOUR else f"|{inp.span.start}-{inp.span.end}"
    own_key = f"x:{own}"
    totals = ["a:" + str(b) for b in rollup(inp.span) if b is not ALL_BUCKET]
    all_time = f"a:{ALL_BUCKET}"
    dims = dict(inp.dims)
    cache: dict[str, tuple[str, ...]] = {}
    for level, area in inp.areas:
        base = f"{area}|{inp.category}"
        for breakdown in config.breakdowns_for(level):
            values = cache.get(breakdown)
            if values is None:
                values = cache[breakdown] = _values(dims, breakdown)
            suffix = f":{level}:{breakdown}"
            for value in values:
                name = f"{base}|{value}" if value else base
                for total in totals:
                    yield total + suffix, name
                if not value:
                    yield all_time + suffix, name
                if detail:
                    yield own_key + suffix, name + detail


def profile_cells(inp: AggInput, config: AggregationConfig) -> Iterator[tuple[Cell, int]]:
    """Aoristic hour-of-week weights (fixed point) per local month and all time."""
    for level, area in inp.areas:
        if level not in config.profile_levels:
            continue
        for month, how, weight in aoristic(inp.span):
            name = f"{area}|{inp.category}|{how}"
            yield (f"a:{MONTH}:{month}:{level}:{PROFILE}", name), weight
            yield (f"a:{ALL_BUCKET}:{level}:{PROFILE}", name), weight


def contribution(inp: AggInput, config: AggregationConfig) -> Counter[Cell]:
    """Everything one record version adds: counts (1 each) and profile weights."""
    added: Counter[Cell] = Counter()
    add_change(added, None, inp, config)
    return added


def add_change(
    into: Counter[Cell], old: AggInput | None, new: AggInput | None, config: AggregationConfig
) -> None:
    """Add to ``into`` the net change of a record going from ``old`` to ``new`` (None: no
    contribution) — in place, so a batch's changes accumulate in one counter."""
    if new is not None:
        into.update(cells(new, config))
        for cell, weight in profile_cells(new, config):
            into[cell] += weight
    if old is not None:
        into.subtract(cells(old, config))
        for cell, weight in profile_cells(old, config):
            into[cell] -= weight


def deltas(old: AggInput | None, new: AggInput | None, config: AggregationConfig) -> Counter[Cell]:
    """Net change when a record goes from ``old`` to ``new`` (None: no contribution)."""
    change: Counter[Cell] = Counter()
    add_change(change, old, new, config)
    return change
