"""How unusual a count is against its baseline (``aggregates.unusual``): the spread floored
for small counts, and the verdict bands."""

from __future__ import annotations

import math

import pytest

from aggregates.unusual import VERDICTS, Unusual, how_unusual, score, spread, verdict
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
