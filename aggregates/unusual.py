"""How unusual a count is against its baseline (pure): the one rule behind the dashboard's
"areas above normal" (Live, the overnight briefing and their exports), ready for alerts.

A baseline is what is normal for a window: the same window in each of the previous weeks
(``store.reader.StoreReader.baseline``), summarised by its mean and (population) spread
(``store.reader.Baseline``). Counts are Poisson-like, so a spread below the square root of
the mean (or below 1) is luck, not a rule: the spread a count is measured in is at least
``sqrt(max(mean, 1))``. The score is how many such spreads the count lies above the mean;
the verdict bands it (``VERDICTS``): at least 1 is above normal, 2 well, 3 far above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


class Usual(Protocol):
    """A baseline: the mean and the (population) standard deviation of past counts."""

    @property
    def mean(self) -> float: ...

    @property
    def stdev(self) -> float: ...


VERDICTS = ((3.0, "far above normal"), (2.0, "well above normal"), (1.0, "above normal"))
"""(lowest score, verdict), highest first."""


def spread(usual: Usual) -> float:
    """The spread a count is measured in: the baseline's, floored for small counts."""
    return max(usual.stdev, math.sqrt(max(usual.mean, 1.0)))


def score(count: int, usual: Usual) -> float:
    """How many spreads ``count`` lies above (negative: below) the usual level."""
    return (count - usual.mean) / spread(usual)


def verdict(z: float) -> str | None:
    """The band of a score (None: below 1, within the usual variation)."""
    return next((label for bound, label in VERDICTS if z >= bound), None)


@dataclass(frozen=True, slots=True)
class Unusual:
    """A count above its normal level: its score and verdict."""

    score: float
    verdict: str


def how_unusual(count: int, usual: Usual) -> Unusual | None:
    """``count`` against its baseline; None unless it is above normal (a score of 1 or
    more: a count at or below the mean never is)."""
    if count <= usual.mean:
        return None
    z = score(count, usual)
    band = verdict(z)
    return None if band is None else Unusual(z, band)
