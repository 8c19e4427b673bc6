"""Knox tests of near-repeat structure (``safer calibrate near-repeat``): for bands of
distance and time, whether more pairs of incidents are close in both than closeness in
space and in time alone would give.

For a near-repeat rule (one set of incidents: burglaries near burglaries) each band is
PySAL's global Knox test (``pointpats.spacetime.Knox``): the observed pairs within the
distance and the time, the count expected were space and time independent
(NS x NT / pairs), and the pseudo p-value from Monte Carlo permutations of the times over
the places. The *Knox ratio* is observed / expected: 1.3 means 30% more close pairs than
chance. For a cross-agency rule (incidents of one kind, then another's) pointpats has no
two-set test, so the same statistic is counted here for ordered pairs (an earlier ``first``
incident, then a ``then`` incident within the time after it) and the ``then`` incidents'
times permuted among themselves. Distances are on the British National Grid (metres).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geography.bng import to_bng

SIGNIFICANT = 0.05


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float
    hour: float


@dataclass(frozen=True, slots=True)
class Band:
    metres: float
    hours: float
    observed: int
    expected: float
    p: float

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float("nan")

    @property
    def significant(self) -> bool:
        return self.p <= SIGNIFICANT and self.observed > self.expected


def _arrays(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    xy = np.array([to_bng(p.lat, p.lon) for p in points], dtype=float).reshape(-1, 2)
    hours = np.array([p.hour for p in points], dtype=float)
    return xy, hours


def same_set(
    points: Sequence[Point],
    metres: Sequence[float],
    hours: Sequence[float],
    permutations: int,
    seed: int,
) -> list[Band]:
    """Knox bands of one set of incidents (``pointpats``)."""
    from pointpats.spacetime import Knox  # imports geopandas: only when calibrating

    xy, t = _arrays(points)
    out = []
    for d in metres:
        for h in hours:
            np.random.seed(seed)  # pointpats permutes with numpy's global generator
            knox = Knox(xy, t.reshape(-1, 1), delta=d, tau=h, permutations=permutations)
            p = float(knox.p_sim) if permutations > 0 else float(knox.p_poisson)
            out.append(Band(d, h, int(knox.nst), float(knox.expected[0][0]), p))
    return out


def two_sets(
    first: Sequence[Point],
    then: Sequence[Point],
    metres: Sequence[float],
    hours: Sequence[float],
    permutations: int,
    seed: int,
) -> list[Band]:
    """Knox bands of ordered pairs: a ``first`` incident, then a ``then`` incident within
    the distance and up to the time after it (the ``then`` times permuted)."""
    a_xy, a_t = _arrays(first)
    b_xy, b_t = _arrays(then)
    if not len(a_t) or not len(b_t):
        return [Band(d, h, 0, 0.0, 1.0) for d in metres for h in hours]
    tree = cKDTree(b_xy)
    pairs = tree.sparse_distance_matrix(cKDTree(a_xy), max(metres), output_type="coo_matrix")
    b_index, a_index, dist = pairs.row, pairs.col, pairs.data
    rng = np.random.default_rng(seed)
    shuffled = [b_t] + [rng.permutation(b_t) for _ in range(permutations)]
    out = []
    for d in metres:
        close = dist <= d
        bi, ai = b_index[close], a_index[close]
        for h in hours:
            counts = []
            for times in shuffled:
                lag = times[bi] - a_t[ai]
                counts.append(int(np.count_nonzero((lag >= 0) & (lag <= h))))
            observed, null = counts[0], np.array(counts[1:])
            expected = float(null.mean()) if permutations else 0.0
            p = float((1 + np.count_nonzero(null >= observed)) / (1 + permutations))
            out.append(Band(d, h, observed, expected, p))
    return out


def strongest(bands: Sequence[Band]) -> Band | None:
    """The significant band with the highest Knox ratio (None: none significant)."""
    found = [b for b in bands if b.significant]
    return max(found, key=lambda b: (b.ratio, -b.metres, -b.hours)) if found else None
