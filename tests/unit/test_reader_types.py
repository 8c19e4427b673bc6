"""Small typed values of the read API."""

from __future__ import annotations

from store.reader import Baseline


def test_baseline_statistics():
    """Mean and population spread of weekly counts."""
    normal = Baseline.of([2, 4, 4, 4, 5, 5, 7, 9])
    assert (normal.mean, normal.stdev) == (5.0, 2.0)
