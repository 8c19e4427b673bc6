"""Redis replies read into values, totally: a stored value that is not what safer writes (a
Redis may be shared) is skipped, never raised, so one bad value cannot fail a read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def number(value: Any) -> int | None:
    """A stored counter, or None when the stored value is not one: reads are total, so one
    bad value (never written by safer, but a Redis is shared) is skipped, not raised."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def int_map(raw: dict[Any, Any]) -> dict[str, int]:
    numbers = {text(k): number(v) for k, v in raw.items()}
    return {k: n for k, n in numbers.items() if n is not None}


def add_pairs(flat: list[Any], into: dict[str, int]) -> None:
    """Add a Lua-returned HGETALL (field, value, field, value …) into a dict."""
    for i in range(0, len(flat), 2):
        name, n = text(flat[i]), number(flat[i + 1])
        if n is not None:
            into[name] = into.get(name, 0) + n


def ms_time(value: Any) -> datetime | None:
    ms = number(value)
    try:
        return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def json_row(raw: bytes | str) -> dict[str, Any] | None:
    """A stored JSON object (a ticker row), or None when it is not one."""
    try:
        row = json.loads(raw)
    except ValueError:
        return None
    return row if isinstance(row, dict) else None
