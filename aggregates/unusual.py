"""How unusual a count is against its baseline (pure): the one rule behind the dashboard's
"areas above normal" (Live, the overnight briefing and their exports), ready for alerts.

A baseline is what is normal for a window: the same window in each of the previous weeks
(``store.reader.StoreReader.baseline``), summarised by its mean and (population) spread
(``store.reader.Baseline``). Counts are Poisson-like, so a spread below the square root of
the mean (or below 1) is luck, not a rule: the spread a count is measured in is at least
``sqrt(max(mean, 1))``. The score is how many such spreads the count lies above the mean;
the verdict bands it (``VERDICTS``): at least 1 is above normal, 2 well, 3 far above.

**History.** A past week of zero incidents is real history only if the feeds covered it;
on a new system (or after a feed joined or was down) the weeks before are zeros of no
meaning, and every area would be "far above normal" against a usual 0.0. So a baseline
uses only the weeks the feeds covered (``covered_weeks``), and an area whose baseline has
fewer of them than a verdict needs gets no verdict but "not enough history: k of n weeks"
(``History``, ``judge``). Coverage is read from the data itself, at read time: a week is
covered when every source active around the window (any event in it or in a past week)
had at least one event, anywhere in the partnership, in that week's span (the week up to
that week's window end; see ``store.reader.StoreReader.baseline``). Derived from the
aggregates at read time, it needs no extra state, is the same after a replay or a
``safer rebuild``, and follows the data through imports of history (a year of fire records
covers that year), feeds that join late (their weeks before count for none) and outages (a
week a feed sent nothing is left out, not counted as zero). A source never seen (no feed,
or police.uk records, which are dated to a month and count in no window) constrains
nothing. A stray record, e.g. a report of an incident long ago, makes its own week covered
only if every other active source had events that week too; a partnership-wide week
without a single event of a live source is, at any real partnership's volume, an outage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class History:
    """Of a baseline's weeks, how many the feeds covered, and how many a verdict needs."""

    covered: int
    needed: int

    @property
    def enough(self) -> bool:
        return self.covered >= self.needed

    @property
    def text(self) -> str:
        """What an area without enough history says in place of a verdict."""
        return f"not enough history: {self.covered} of {self.needed} weeks"


def covered_weeks(activity: Mapping[str, Sequence[int]]) -> tuple[bool, ...]:
    """Per past week, whether the feeds covered it. ``activity``: per source, its events in
    the partnership in the current week's span (index 0) and in each past week's (1..n).
    A source with none at all is not active and constrains nothing; a week is covered when
    every active source had an event in it (no active source: no week is)."""
    weeks = max((len(counts) for counts in activity.values()), default=1) - 1
    active = [counts for counts in activity.values() if any(counts)]
    return tuple(
        bool(active) and all(len(c) > w and c[w] > 0 for c in active) for w in range(1, weeks + 1)
    )


def judge(count: int, usual: Usual, history: History) -> Unusual | None:
    """``count`` against a baseline of the covered weeks (``how_unusual``); with fewer of
    them than a verdict needs, the verdict is ``history.text`` ("not enough history: 2 of 8
    weeks") instead of a band: the count may be above the weeks there are, but whether that
    is unusual cannot be said yet."""
    found = how_unusual(count, usual)
    if found is None or history.enough:
        return found
    return Unusual(found.score, history.text)
