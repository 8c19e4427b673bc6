"""Small typed values of the read API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.reader import Baseline, Freshness


def test_freshness_lags():
    """Event lag is arrival minus event time; silence is how long since the last arrival."""
    arrived = datetime(2026, 11, 20, 12, tzinfo=UTC)
    fresh = Freshness("police", arrived, arrived - timedelta(days=20))
    assert fresh.event_lag == timedelta(days=20)
    assert fresh.silence(arrived + timedelta(minutes=5)) == timedelta(minutes=5)
    assert Freshness("fire", None, None).event_lag is None


def test_baseline_statistics():
    """Mean and population spread of weekly counts."""
    normal = Baseline.of([2, 4, 4, 4, 5, 5, 7, 9])
    assert (normal.mean, normal.stdev) == (5.0, 2.0)
