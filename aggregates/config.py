"""What is aggregated: area levels, breakdowns per level, retention and grace.

A *breakdown* is ``cat`` (category alone) or a dimension crossed with category, such as
``youth`` (category × youth/adult) or ``loctype``. Further crosses are configuration:
``youth+loctype`` stores category × youth × location type. Dimensions are stored one at a
time (or as configured crosses), never as a full cube.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aggregates.hashes import Shard
from safer.settings import Settings

ZONE_LEVEL = "zone"
"""Operation zones (``operations.zones``: target, buffer and control of each operation; an
area code is ``<slug>.<zone>``): only records of an operation's categories and periods."""
WIDER_LEVEL = "wider"
"""The comparison area (``geography.comparison``, e.g. Merseyside): one area per local
authority of it (its ONS code), the partnership's own included; records of its other
authorities count here only, in no partnership level."""
LEVELS = ("borough", "ward", "lsoa", "cell", "place", ZONE_LEVEL, WIDER_LEVEL)
"""Area levels: local authority, ward, LSOA, 250 m grid cell, controlled street or place
(``aggregates.places``), operation zone and the wider comparison area."""
DIMENSIONS = (
    "youth",
    "age_victim",
    "age_offender",
    "gender_victim",
    "gender_offender",
    "loctype",
    "relationship",
    "flag",
    "cause",  # fires: deliberate / accidental / unknown (the deliberate-fires alert group)
)
ALL_BREAKDOWNS = ("cat", *DIMENSIONS)
LSOA_BREAKDOWN = "lsoa"
"""Category × the record's LSOA: where inside an operation zone (its busiest LSOAs)."""
SEARCH = "search"
"""Breakdown of police activity (stop and search, ``schemas.categories.ACTIVITY_KINDS``)
by category: its own keys, so no incident total includes it. ``search.youth`` crosses it
with youth/adult (the person searched)."""


@dataclass(frozen=True, slots=True)
class AggregationConfig:
    breakdowns: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "borough": ALL_BREAKDOWNS,
            "ward": ALL_BREAKDOWNS,
            "lsoa": ("cat", "youth", "loctype", "flag"),
            "cell": ("cat",),
            "place": ("cat",),
            ZONE_LEVEL: ("cat", LSOA_BREAKDOWN),
            WIDER_LEVEL: ("cat",),  # one field more per record: comparison needs no more
        }
    )
    crosses: tuple[str, ...] = ("youth+loctype",)
    activity_breakdowns: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "borough": (SEARCH, f"{SEARCH}.youth"),
            "ward": (SEARCH, f"{SEARCH}.youth"),
            "lsoa": (SEARCH,),
            "cell": (SEARCH,),
            WIDER_LEVEL: (SEARCH,),
        }
    )
    profile_levels: tuple[str, ...] = ("borough", "ward", ZONE_LEVEL)
    cross_levels: tuple[str, ...] = ("borough", "ward")
    hourly_retention_days: int = 400
    daily_retention_days: int = 5 * 366
    record_state_ttl_days: int = 5 * 366
    grace_hours: dict[str, float] = field(
        default_factory=lambda: {"police": 24 * 62, "council": 48, "fire": 24}
    )
    _breakdowns: dict[tuple[str, bool], tuple[str, ...]] = field(
        init=False, repr=False, compare=False
    )
    _shards: dict[tuple[str, bool, str], tuple[tuple[str, Shard], ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        breakdowns = {(level, False): self.breakdowns_for(level) for level in LEVELS}
        for level in LEVELS:
            breakdowns[level, True] = self.activity_breakdowns.get(level, ())
        object.__setattr__(self, "_breakdowns", breakdowns)

    @classmethod
    def from_settings(cls, settings: Settings) -> AggregationConfig:
        return cls(
            crosses=settings.crosses,
            hourly_retention_days=settings.hourly_retention_days,
            daily_retention_days=settings.daily_retention_days,
            record_state_ttl_days=settings.record_state_ttl_days,
            grace_hours=dict(settings.grace_hours),
        )

    def breakdowns_for(self, level: str) -> tuple[str, ...]:
        extra = self.crosses if level in self.cross_levels else ()
        return (*self.breakdowns.get(level, ()), *extra)

    def shards_for(
        self, level: str, activity: bool, authority: str
    ) -> tuple[tuple[str, Shard], ...]:
        """(breakdown, shard) of each hash a record of ``authority`` counts in at a level —
        of police activity (stop and search) with ``activity`` —, computed once (hot path:
        ``aggregates.contributions``)."""
        found = self._shards.get((level, activity, authority))
        if found is None:
            found = tuple(
                (b, (level, b, authority)) for b in self._breakdowns.get((level, activity), ())
            )
            self._shards[level, activity, authority] = found
        return found

    def grace_s(self, source: str) -> float:
        return self.grace_hours.get(source, 24.0) * 3600
