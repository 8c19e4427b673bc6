"""The near-repeat calibration finds a planted structure: burglaries followed within 100 m
and 3 days by another (and ASB followed by fires) on top of uniform background incidents,
and finds nothing in the background alone."""

from __future__ import annotations

import math
import random

from alerts.knox import Band, Point, same_set, strongest, two_sets
from geography.bng import to_wgs84

EAST, NORTH = 331_000.0, 388_000.0  # Birkenhead
DAYS = 60


def _uniform(rng: random.Random, n: int) -> list[Point]:
    out = []
    for _ in range(n):
        lat, lon = to_wgs84(EAST + rng.uniform(0, 6000), NORTH + rng.uniform(0, 6000))
        out.append(Point(lat, lon, rng.uniform(0, DAYS * 24)))
    return out


def _followers(rng: random.Random, seeds: list[Point], metres: float, hours: float) -> list[Point]:
    """One incident after each seed, uniform within ``metres`` and ``hours`` of it."""
    from geography.bng import to_bng

    out = []
    for seed in seeds:
        east, north = to_bng(seed.lat, seed.lon)
        r, a = metres * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat, lon = to_wgs84(east + r * math.cos(a), north + r * math.sin(a))
        out.append(Point(lat, lon, seed.hour + rng.uniform(0, hours)))
    return out


def _band(bands: list[Band], metres: float, hours: float) -> Band:
    return next(b for b in bands if (b.metres, b.hours) == (metres, hours))


def test_a_planted_near_repeat_is_found_in_its_band() -> None:
    rng = random.Random(17)
    background = _uniform(rng, 400)
    planted = _followers(rng, rng.sample(background, 60), 100, 72)
    bands = same_set(background + planted, (100, 400), (72, 336), permutations=99, seed=1)
    inner = _band(bands, 100, 72)
    assert inner.significant
    assert inner.ratio > 2
    assert _band(bands, 400, 336).ratio < inner.ratio  # diluted further out
    assert strongest(bands) == inner
    alone = same_set(background, (100, 400), (72, 336), permutations=99, seed=1)
    assert not _band(alone, 100, 72).significant
    assert strongest(alone) is None


def test_a_planted_cross_agency_link_is_found_in_its_band() -> None:
    rng = random.Random(18)
    asb = _uniform(rng, 300)
    fires = _uniform(rng, 100)
    linked = _followers(rng, rng.sample(asb, 50), 150, 48)
    bands = two_sets(asb, fires + linked, (150, 600), (48, 336), permutations=99, seed=2)
    inner = _band(bands, 150, 48)
    assert inner.significant
    assert inner.observed >= 50
    assert inner.ratio > 3
    assert strongest(bands) == inner
    alone = two_sets(asb, fires, (150, 600), (48, 336), permutations=99, seed=2)
    assert strongest(alone) is None
