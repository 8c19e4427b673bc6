"""Spans of time as people type them: ``0`` (none), ``30d``, ``12w``, ``2y``.

The one grammar of ``SAFER_SIMULATOR_HISTORY`` and of ``--history`` (``safer up``,
``safer simulate``). A year is 365 days, a week 7 days; there are no fractions and no
mixed units (``1y2w`` is refused), so what was asked is always plain to read back.
"""

from __future__ import annotations

import re
from datetime import timedelta

SPAN_PATTERN = r"^(0|[1-9][0-9]{0,4}[dwy])$"
"""``0``, or a whole number of days, weeks or years (at most five digits)."""
_DAYS_PER_UNIT = {"d": 1, "w": 7, "y": 365}


def parse_span(text: str) -> timedelta:
    """``text`` as a span; ValueError (one line, saying what is accepted) otherwise."""
    value = text.strip().lower()
    if not re.fullmatch(SPAN_PATTERN, value):
        raise ValueError(
            f"{text!r} is not a span: use 0 (none) or a whole number of days, weeks or "
            "years, such as 30d, 12w or 2y"
        )
    if value == "0":
        return timedelta(0)
    return timedelta(days=int(value[:-1]) * _DAYS_PER_UNIT[value[-1]])
