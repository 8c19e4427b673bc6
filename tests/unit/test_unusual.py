"""How unusual a count is against its baseline (``aggregates.unusual``): the spread floored
for small counts, and the verdict bands."""

from __future__ import annotations

import math

import pytest

from aggregates.unusual import (
    VERDICTS,
    History,
    Unusual,
    covered_weeks,
    how_unusual,
    judge,
    score,
    spread,
    verdict,
)
from store.reader import Baseline


def test_the_spread_is_floored_for_small_counts() -> None:
    """A baseline that hardly varies is measured in sqrt(mean) (at least 1), not its own
    spread: counts are Poisson-like."""
    steady = Baseline.of([2, 3, 2, 3, 2, 3, 2, 3])  # mean 2.5, spread 0.5
    assert spread(steady) == math.sqrt(2.5)
    assert spread(Baseline.of([0] * 8)) == 1.0
    varied = Baseline.of([2, 4, 4, 4, 5, 5, 7, 9])  # mean 5, spread 2 < sqrt(5)
    assert spread(varied) == math.sqrt(5)
    wide = Baseline.of([0, 20, 0, 20, 0, 20, 0, 20])  # mean 10, spread 10 > sqrt(10)
    assert spread(wide) == 10.0
    assert score(30, wide) == 2.0
    assert score(0, wide) == -1.0


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (0.99, None),
        (1.0, "above normal"),
        (1.99, "above normal"),
        (2.0, "well above normal"),
        (3.0, "far above normal"),
        (12.0, "far above normal"),
    ],
)
def test_verdicts_band_the_score(z: float, expected: str | None) -> None:
    assert verdict(z) == expected


def test_only_counts_above_normal_have_a_verdict() -> None:
    steady = Baseline.of([2, 3, 2, 3, 2, 3, 2, 3])
    assert how_unusual(12, steady) == Unusual(9.5 / math.sqrt(2.5), "far above normal")
    assert how_unusual(4, steady) is None  # 1.5 / 1.58: within the usual variation
    assert how_unusual(2, steady) is None  # below the mean
    nothing = Baseline.of([0] * 8)
    assert how_unusual(0, nothing) is None  # at the mean: never unusual
    assert how_unusual(1, nothing) == Unusual(1.0, "above normal")
    assert [label for _, label in VERDICTS] == [
        "far above normal",
        "well above normal",
        "above normal",
    ]


def test_history_says_how_many_weeks_there_are() -> None:
    """Fewer covered weeks than needed: not enough, and its text says k of n weeks."""
    assert History(2, 8).text == "not enough history: 2 of 8 weeks"
    assert not History(7, 8).enough
    assert History(8, 8).enough
    assert History(3, 3).enough


def test_a_week_is_covered_when_every_active_source_had_events() -> None:
    """Weeks 1..n are covered when each source seen anywhere (now or in a past week) had an
    event in them; a source never seen constrains nothing; a week of a feed's outage is
    not covered; a source seen only now makes no week history."""
    assert covered_weeks({"police": (4, 3, 2, 1), "fire": (0, 0, 0, 0)}) == (True, True, True)
    assert covered_weeks({"police": (4, 3, 2, 1), "council": (1, 2, 0, 0)}) == (True, False, False)
    assert covered_weeks({"police": (4, 3, 0, 1)}) == (True, False, True)  # an outage
    assert covered_weeks({"police": (4, 0, 0, 0)}) == (False, False, False)  # a new system
    assert covered_weeks({"police": (0, 0, 0)}) == (False, False)  # nothing at all
    assert covered_weeks({}) == ()


def test_judge_gives_a_verdict_only_with_enough_history() -> None:
    """The same count above the same baseline: a band with enough covered weeks, "not
    enough history" without; a count at its usual level is never listed."""
    two = Baseline.of([1, 2])
    assert judge(12, two, History(8, 8)) == Unusual(score(12, two), "far above normal")
    assert judge(12, two, History(2, 8)) == Unusual(score(12, two), History(2, 8).text)
    assert judge(1, two, History(2, 8)) is None
    assert judge(3, Baseline.of([]), History(0, 8)) == Unusual(3.0, History(0, 8).text)
