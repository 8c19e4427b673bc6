"""Reads of the wider comparison area (``aggregates.config.WIDER_LEVEL``; e.g. Merseyside,
``geography.comparison``): window figures and day or month bucket totals per local authority
and category, for the dashboard's comparisons and ``safer query counts --level wider``.

The level's areas are the comparison's authorities (ONS codes), the partnership's own among
them, and its hashes are sharded by those authorities, so this reader is a ``StoreReader``
scoped to them (not to the partnership's): each read is one round trip, like the
partnership's. The whole comparison area is the sum of the level over its authorities; the
partnership's own authority there equals its borough-level figure (the same records, from
the same contributions). A store counted before the level existed has it empty until
``safer rebuild``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from redis import Redis

from aggregates.buckets import Bucket
from aggregates.config import WIDER_LEVEL
from aggregates.periods import YEAR_EARLIER_HOURS
from geography.areas import load_areas
from geography.comparison import Comparison
from safer.errors import ConfigError
from safer.settings import Settings
from store.keys import Keys
from store.reader import StoreReader, WindowRow


@dataclass(frozen=True, slots=True)
class WiderFigures:
    """The wider area's counts in one window or bucket: one row per (authority, category)
    (``WindowRow.area`` is the authority's code), sorted."""

    rows: tuple[WindowRow, ...]

    def counts(self) -> dict[tuple[str, str], int]:
        """(authority, category) -> count (rows with a count only)."""
        return {(r.area, r.category): r.count for r in self.rows if r.count}

    def by_authority(self) -> Counter[str]:
        """Authority -> its count over every category."""
        totals: Counter[str] = Counter()
        for row in self.rows:
            totals[row.area] += row.count
        return totals

    def by_category(self, authority: str | None = None) -> Counter[str]:
        """Category -> its count in one authority (None: in the whole area)."""
        totals: Counter[str] = Counter()
        for row in self.rows:
            if authority is None or row.area == authority:
                totals[row.category] += row.count
        return totals

    @property
    def total(self) -> int:
        """The whole comparison area's count."""
        return sum(row.count for row in self.rows)

    def rate_per_1000(
        self, population: Mapping[str, int], authority: str | None = None
    ) -> float | None:
        """Count per 1,000 usual residents (``Comparison.population``) of one authority, or
        of the whole area (None); None when the population is unknown."""
        if authority is None:
            count, residents = self.total, sum(population.values())
        else:
            count, residents = self.by_authority()[authority], population.get(authority, 0)
        return count * 1000 / residents if residents else None


class WiderReader:
    """The wider level of one deployment, read over its comparison area's authorities."""

    def __init__(self, redis: Redis, keys: Keys, comparison: Comparison) -> None:
        self.comparison = comparison
        self._reader = StoreReader(redis, keys, comparison.authorities)

    @classmethod
    def of(cls, redis: Redis, settings: Settings) -> WiderReader:
        """The reader of the configured partnership's comparison area; ``ConfigError`` when
        its file names none."""
        areas = load_areas(settings.partnership)
        if areas.comparison is None:
            raise ConfigError(
                f"partnership {areas.name or 'file'} names no comparison area ([comparison] "
                "in its file)"
            )
        return cls(redis, Keys(settings.redis_prefix), areas.comparison)

    def windows(
        self, spans: list[tuple[int, int]], breakdown: str = "cat", unplaced: bool = True
    ) -> list[WiderFigures]:
        """Per window (epoch-hour bounds), its figures, in one round trip
        (``StoreReader.windows``: a record counts when its span lies wholly inside)."""
        found = self._reader.windows(WIDER_LEVEL, spans, breakdown, unplaced)
        return [WiderFigures(rows) for rows in found]

    def window(
        self, start: int, end: int, breakdown: str = "cat"
    ) -> tuple[WiderFigures, WiderFigures]:
        """A window's figures and the same window's 364 days earlier, in one round trip."""
        shift = YEAR_EARLIER_HOURS
        now, earlier = self.windows([(start, end), (start - shift, end - shift)], breakdown)
        return now, earlier

    def bucket_totals(self, buckets: list[Bucket], breakdown: str = "cat") -> list[WiderFigures]:
        """Per day or month bucket, the figures of the records whose home lies inside it (a
        police.uk month in its month): the points of a trend series, in one round trip."""
        found = self._reader.bucket_totals(WIDER_LEVEL, buckets, breakdown)
        return [WiderFigures(rows) for rows in found]
