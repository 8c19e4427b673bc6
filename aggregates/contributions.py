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
    if breakdown == "cat":
        return ("",)
    dims = dict(inp.dims)
    parts = [dims.get(name, ()) for name in breakdown.split("+")]
    return tuple("/".join(combo) for combo in product(*parts))


def field(area: str, category: str, value: str) -> str:
    return f"{area}|{category}|{value}" if value else f"{area}|{category}"


def cells(inp: AggInput, config: AggregationConfig) -> Iterator[Cell]:
    """Every (key, field) of counts the record version adds one to."""
    own = home(inp.span)
    detail = "" if own.grain == HOUR else f"|{inp.span.start}-{inp.span.end}"
    buckets = rollup(inp.span)
    for level, area in inp.areas:
        for breakdown in config.breakdowns_for(level):
            for value in breakdown_values(inp, breakdown):
                name = field(area, inp.category, value)
                for bucket in buckets:
                    yield f"a:{bucket}:{level}:{breakdown}", name
                if detail:
                    yield f"x:{own}:{level}:{breakdown}", name + detail


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
    added: Counter[Cell] = Counter(cells(inp, config))
    for cell, weight in profile_cells(inp, config):
        added[cell] += weight
    return added


def deltas(old: AggInput | None, new: AggInput | None, config: AggregationConfig) -> Counter[Cell]:
    """Net change when a record goes from ``old`` to ``new`` (None: no contribution)."""
    change: Counter[Cell] = Counter()
    if new is not None:
        change.update(contribution(new, config))
    if old is not None:
        change.subtract(contribution(old, config))
    return change
