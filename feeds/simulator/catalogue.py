"""What each synthetic feed records: categories with their share, rhythm and usual places.

Police shares follow the Wirral rows of data.police.uk street-level crime, 2018-03 to
2018-07 (violence 30%, ASB 21%, criminal damage 10% ...). Council and fire shares are
plausible mixes for a metropolitan borough (fire: mostly secondary fires and false alarms).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from feeds.simulator.rhythms import Profile
from schemas.categories import (
    AsbType,
    CallCategory,
    CrimeType,
    EventKind,
    FireCategory,
    FireCause,
    LocationType,
    PropertyCategory,
)

T = TypeVar("T")
Weighted = tuple[tuple[T, float], ...]

_LT = LocationType


@dataclass(frozen=True, slots=True)
class Category(Generic[T]):
    """One category of a feed: its share within the feed, rhythm and location types."""

    value: T
    share: float
    profile: Profile
    places: Weighted[LocationType]


def pick(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    """One option, chosen with probability proportional to its weight."""
    values = [value for value, _ in options]
    return rng.choices(values, weights=[weight for _, weight in options])[0]


_STREET: Weighted[LocationType] = (
    (_LT.STREET, 0.7),
    (_LT.PARK_OPEN_SPACE, 0.15),
    (_LT.DWELLING, 0.15),
)
_HOME: Weighted[LocationType] = ((_LT.DWELLING, 0.85), (_LT.STREET, 0.15))

POLICE: tuple[Category[CrimeType], ...] = (
    Category(
        CrimeType.VIOLENT_CRIME,
        4213,
        Profile.NIGHT,
        (
            (_LT.DWELLING, 0.45),
            (_LT.STREET, 0.3),
            (_LT.LICENSED_PREMISES, 0.1),
            (_LT.RETAIL, 0.05),
            (_LT.SCHOOL, 0.03),
            (_LT.OTHER, 0.07),
        ),
    ),
    Category(
        CrimeType.ANTI_SOCIAL_BEHAVIOUR,
        3018,
        Profile.EVENING,
        (
            (_LT.STREET, 0.55),
            (_LT.PARK_OPEN_SPACE, 0.2),
            (_LT.DWELLING, 0.15),
            (_LT.RETAIL, 0.05),
            (_LT.BEACH, 0.05),
        ),
    ),
    Category(
        CrimeType.CRIMINAL_DAMAGE_ARSON,
        1467,
        Profile.EVENING,
        ((_LT.DWELLING, 0.45), (_LT.STREET, 0.35), (_LT.SCHOOL, 0.05), (_LT.OTHER, 0.15)),
    ),
    Category(
        CrimeType.PUBLIC_ORDER,
        1087,
        Profile.NIGHT,
        ((_LT.STREET, 0.5), (_LT.DWELLING, 0.3), (_LT.LICENSED_PREMISES, 0.2)),
    ),
    Category(CrimeType.BURGLARY, 914, Profile.FLAT, ((_LT.DWELLING, 0.75), (_LT.OTHER, 0.25))),
    Category(
        CrimeType.OTHER_THEFT,
        875,
        Profile.DAYTIME,
        ((_LT.OTHER, 0.35), (_LT.RETAIL, 0.25), (_LT.STREET, 0.2), (_LT.DWELLING, 0.2)),
    ),
    Category(
        CrimeType.VEHICLE_CRIME, 837, Profile.FLAT, ((_LT.STREET, 0.85), (_LT.DWELLING, 0.15))
    ),
    Category(CrimeType.SHOPLIFTING, 647, Profile.DAYTIME, ((_LT.RETAIL, 1.0),)),
    Category(CrimeType.DRUGS, 409, Profile.EVENING, _STREET),
    Category(CrimeType.OTHER_CRIME, 241, Profile.FLAT, ((_LT.DWELLING, 0.6), (_LT.OTHER, 0.4))),
    Category(
        CrimeType.BICYCLE_THEFT,
        126,
        Profile.DAYTIME,
        ((_LT.STREET, 0.5), (_LT.DWELLING, 0.3), (_LT.TRANSPORT, 0.2)),
    ),
    Category(CrimeType.POSSESSION_OF_WEAPONS, 90, Profile.NIGHT, _STREET),
    Category(CrimeType.ROBBERY, 84, Profile.NIGHT, ((_LT.STREET, 0.8), (_LT.RETAIL, 0.2))),
    Category(
        CrimeType.THEFT_FROM_THE_PERSON,
        82,
        Profile.NIGHT,
        ((_LT.STREET, 0.4), (_LT.LICENSED_PREMISES, 0.3), (_LT.RETAIL, 0.2), (_LT.TRANSPORT, 0.1)),
    ),
)

_YOUTHFUL = ((_LT.PARK_OPEN_SPACE, 0.45), (_LT.STREET, 0.45), (_LT.BEACH, 0.1))

ASB: tuple[Category[AsbType], ...] = (
    Category(AsbType.NEIGHBOUR_DISPUTE, 14, Profile.FLAT, ((_LT.DWELLING, 1.0),)),
    Category(AsbType.HARASSMENT_INTIMIDATION, 8, Profile.EVENING, _HOME),
    Category(AsbType.YOUTH_GANG, 12, Profile.EVENING, _YOUTHFUL),
    Category(AsbType.ROWDY_BEHAVIOUR, 12, Profile.NIGHT, _STREET),
    Category(AsbType.SCRAMBLER_BIKES, 8, Profile.EVENING, _YOUTHFUL),
    Category(AsbType.VEHICLE_NUISANCE, 4, Profile.EVENING, ((_LT.STREET, 1.0),)),
    Category(AsbType.STREET_DRINKING, 4, Profile.EVENING, _STREET),
    Category(AsbType.DRUG_DEALING_USE, 6, Profile.EVENING, _STREET),
    Category(AsbType.FIREWORKS, 2, Profile.EVENING, _YOUTHFUL),
    Category(AsbType.BEGGING, 2, Profile.DAYTIME, ((_LT.STREET, 0.6), (_LT.RETAIL, 0.4))),
    Category(AsbType.NOISE, 12, Profile.NIGHT, _HOME),
    Category(
        AsbType.FLY_TIPPING, 8, Profile.DAYTIME, ((_LT.STREET, 0.7), (_LT.PARK_OPEN_SPACE, 0.3))
    ),
    Category(AsbType.GRAFFITI, 3, Profile.EVENING, ((_LT.STREET, 0.7), (_LT.SCHOOL, 0.3))),
    Category(AsbType.LITTER_DRUG_PARAPHERNALIA, 3, Profile.DAYTIME, _STREET),
    Category(AsbType.ABANDONED_VEHICLE, 2, Profile.DAYTIME, ((_LT.STREET, 1.0),)),
)

YOUTH_SHARE: dict[AsbType, float] = {
    AsbType.YOUTH_GANG: 0.95,
    AsbType.SCRAMBLER_BIKES: 0.7,
    AsbType.FIREWORKS: 0.7,
    AsbType.GRAFFITI: 0.5,
    AsbType.ROWDY_BEHAVIOUR: 0.35,
    AsbType.VEHICLE_NUISANCE: 0.3,
}
"""Share of each ASB type recorded as youth-related (others: 5%)."""

CALLS: tuple[Category[CallCategory], ...] = (
    Category(CallCategory.ASB, 30, Profile.EVENING, _STREET),
    Category(CallCategory.CRIME_IN_PROGRESS, 10, Profile.NIGHT, _STREET),
    Category(CallCategory.WELFARE_CONCERN, 18, Profile.DAYTIME, _HOME),
    Category(
        CallCategory.CCTV_OBSERVATION,
        14,
        Profile.NIGHT,
        ((_LT.STREET, 0.6), (_LT.RETAIL, 0.2), (_LT.TRANSPORT, 0.2)),
    ),
    Category(
        CallCategory.ALARM_ACTIVATION,
        10,
        Profile.FLAT,
        ((_LT.OTHER, 0.5), (_LT.SCHOOL, 0.2), (_LT.DWELLING, 0.3)),
    ),
    Category(CallCategory.HIGHWAYS_HAZARD, 8, Profile.DAYTIME, ((_LT.STREET, 1.0),)),
    Category(CallCategory.OTHER, 10, Profile.DAYTIME, ((_LT.OTHER, 0.5), (_LT.STREET, 0.5))),
)

FIRE: tuple[Category[FireCategory], ...] = (
    Category(
        FireCategory.SECONDARY_FIRE,
        36,
        Profile.EVENING,
        ((_LT.PARK_OPEN_SPACE, 0.4), (_LT.STREET, 0.45), (_LT.BEACH, 0.05), (_LT.OTHER, 0.1)),
    ),
    Category(
        FireCategory.FALSE_ALARM,
        34,
        Profile.DAYTIME,
        ((_LT.DWELLING, 0.5), (_LT.OTHER, 0.25), (_LT.SCHOOL, 0.1), (_LT.HEALTH, 0.15)),
    ),
    Category(
        FireCategory.SPECIAL_SERVICE,
        16,
        Profile.DAYTIME,
        ((_LT.STREET, 0.5), (_LT.DWELLING, 0.4), (_LT.OTHER, 0.1)),
    ),
    Category(
        FireCategory.PRIMARY_FIRE,
        12,
        Profile.EVENING,
        ((_LT.DWELLING, 0.55), (_LT.STREET, 0.35), (_LT.OTHER, 0.1)),
    ),
    Category(FireCategory.CHIMNEY_FIRE, 2, Profile.EVENING, ((_LT.DWELLING, 1.0),)),
)

FIRE_CAUSE: dict[FireCategory, Weighted[FireCause]] = {
    FireCategory.SECONDARY_FIRE: (
        (FireCause.DELIBERATE, 0.7),
        (FireCause.ACCIDENTAL, 0.15),
        (FireCause.UNKNOWN, 0.15),
    ),
    FireCategory.PRIMARY_FIRE: (
        (FireCause.DELIBERATE, 0.3),
        (FireCause.ACCIDENTAL, 0.6),
        (FireCause.UNKNOWN, 0.1),
    ),
    FireCategory.CHIMNEY_FIRE: ((FireCause.ACCIDENTAL, 0.9), (FireCause.UNKNOWN, 0.1)),
    FireCategory.FALSE_ALARM: (
        (FireCause.ACCIDENTAL, 0.3),
        (FireCause.UNKNOWN, 0.65),
        (FireCause.DELIBERATE, 0.05),
    ),
    FireCategory.SPECIAL_SERVICE: ((FireCause.UNKNOWN, 0.8), (FireCause.ACCIDENTAL, 0.2)),
}

PROPERTY: dict[LocationType, PropertyCategory] = {
    _LT.DWELLING: PropertyCategory.DWELLING,
    _LT.STREET: PropertyCategory.ROAD_VEHICLE,
    _LT.PARK_OPEN_SPACE: PropertyCategory.OUTDOOR,
    _LT.BEACH: PropertyCategory.OUTDOOR,
    _LT.SCHOOL: PropertyCategory.NON_RESIDENTIAL,
    _LT.HEALTH: PropertyCategory.NON_RESIDENTIAL,
    _LT.RETAIL: PropertyCategory.NON_RESIDENTIAL,
}
"""Fire property category implied by the location type (others: ``other``)."""


def weighted(table: Sequence[Category[T]]) -> Weighted[Category[T]]:
    return tuple((category, category.share) for category in table)


def by_value(table: Sequence[Category[T]], value: T) -> Category[T]:
    return next(category for category in table if category.value == value)


def _profiles(table: Sequence[Category[T]]) -> tuple[tuple[Profile, float], ...]:
    return tuple((category.profile, category.share) for category in table)


KIND_PROFILES: dict[EventKind, tuple[tuple[Profile, float], ...]] = {
    EventKind.POLICE_CRIME: _profiles(POLICE),
    EventKind.COUNCIL_ASB: _profiles(ASB),
    EventKind.COUNCIL_CALL: _profiles(CALLS),
    EventKind.FIRE_INCIDENT: _profiles(FIRE),
}
"""Rhythm profile and share of every category, per event kind."""


def profile_mix(kind_shares: Mapping[EventKind, float]) -> dict[Profile, float]:
    """Share of all traffic following each rhythm profile, given the kind shares."""
    mix: dict[Profile, float] = {}
    for kind, share in kind_shares.items():
        total = sum(weight for _, weight in KIND_PROFILES[kind])
        for profile, weight in KIND_PROFILES[kind]:
            mix[profile] = mix.get(profile, 0.0) + share * weight / total
    return mix
