"""Where synthetic incidents happen: hot-spot weighted LSOAs and plausible coordinates.

Hot spots are data-driven. Where the packaged police points cover an LSOA, its weight is
the number of crimes police.uk recorded there (2018-03 to 2018-07), so Birkenhead and
Tranmere, Bidston and St James, Seacombe and Liscard come out on top as they really do.
Areas without points (another partnership's areas file) fall back to population times a
seeded log-normal hot-spot factor, which is deterministic for a given seed.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence

from geography.areas import Areas, Lsoa
from geography.police_points import PolicePoint
from schemas.categories import LocationType
from schemas.events import Location

JITTER_DEG = 0.0015
"""Standard deviation of the jitter around an LSOA's interior point (about 100–170 m)."""


def hotspot_weights(
    areas: Areas, points: Mapping[str, Sequence[PolicePoint]], rng: random.Random
) -> list[float]:
    """Relative incident weight of each LSOA, in the order of ``areas.lsoas``."""
    if any(lsoa.code in points for lsoa in areas.lsoas):
        return [1.0 + sum(p.crimes for p in points.get(lsoa.code, ())) for lsoa in areas.lsoas]
    return [lsoa.population * rng.lognormvariate(0.0, 0.9) for lsoa in areas.lsoas]


class Places:
    """Samples LSOAs by hot-spot weight and builds contract ``Location``s inside them."""

    def __init__(
        self, areas: Areas, points: Mapping[str, Sequence[PolicePoint]], rng: random.Random
    ) -> None:
        self._lsoas = areas.lsoas
        self._points = points
        self._cum = list(itertools.accumulate(hotspot_weights(areas, points, rng)))

    def lsoa(self, rng: random.Random) -> Lsoa:
        return rng.choices(self._lsoas, cum_weights=self._cum)[0]

    def _weights(self) -> list[float]:
        return [b - a for a, b in zip([0.0, *self._cum[:-1]], self._cum, strict=True)]

    def in_ward(self, ward: str) -> tuple[list[Lsoa], list[float]]:
        """A ward's LSOAs and their hot-spot weights (``ValueError`` for no LSOA of ours)."""
        pairs = [
            (x, w) for x, w in zip(self._lsoas, self._weights(), strict=True) if x.ward_code == ward
        ]
        if not pairs:
            raise ValueError(f"no LSOA of the partnership lies in ward {ward}")
        return [x for x, _ in pairs], [w for _, w in pairs]

    def share(self, ward: str) -> float:
        """The ward's share of incidents (its LSOAs' share of the hot-spot weight)."""
        return sum(self.in_ward(ward)[1]) / self._cum[-1]

    def police(self, rng: random.Random, lsoa: Lsoa, kind: LocationType) -> Location:
        """A police.uk point in the LSOA (weighted by its crimes), else near its interior."""
        candidates = self._points.get(lsoa.code)
        if not candidates:
            return self.near_interior(rng, lsoa, kind)
        point = rng.choices(candidates, weights=[p.crimes for p in candidates])[0]
        return Location(
            lat=point.lat,
            lon=point.lon,
            place=point.place,
            lsoa_code=lsoa.code,
            ward_code=lsoa.ward_code,
            location_type=kind,
        )

    def near_interior(self, rng: random.Random, lsoa: Lsoa, kind: LocationType) -> Location:
        """Coordinates jittered around the LSOA's interior point (no place name)."""
        return Location(
            lat=round(rng.gauss(lsoa.lat, JITTER_DEG), 6),
            lon=round(rng.gauss(lsoa.lon, JITTER_DEG * 1.6), 6),
            lsoa_code=lsoa.code,
            ward_code=lsoa.ward_code,
            location_type=kind,
        )
