"""Aggregate-safe people attributes and flags for synthetic incidents (never identities)."""

from __future__ import annotations

import random

from feeds.simulator.catalogue import YOUTH_SHARE, Weighted, pick
from schemas.categories import (
    AgeBand,
    AsbType,
    CallCategory,
    CrimeType,
    Gender,
    HateStrand,
    Relationship,
    WeaponKind,
)
from schemas.events import Flags, People

_ADULT_AGES: Weighted[AgeBand] = (
    (AgeBand.AGE_10_17, 0.08),
    (AgeBand.AGE_18_24, 0.22),
    (AgeBand.AGE_25_34, 0.26),
    (AgeBand.AGE_35_44, 0.18),
    (AgeBand.AGE_45_54, 0.13),
    (AgeBand.AGE_55_64, 0.06),
    (AgeBand.AGE_65_PLUS, 0.03),
    (AgeBand.UNKNOWN, 0.04),
)
_STRANDS: Weighted[HateStrand] = (
    (HateStrand.RACE, 0.7),
    (HateStrand.SEXUAL_ORIENTATION, 0.12),
    (HateStrand.RELIGION, 0.08),
    (HateStrand.DISABILITY, 0.07),
    (HateStrand.TRANSGENDER, 0.03),
)
_NON_DOMESTIC: Weighted[Relationship] = (
    (Relationship.STRANGER, 0.45),
    (Relationship.ACQUAINTANCE, 0.35),
    (Relationship.PEER, 0.15),
    (Relationship.UNKNOWN, 0.05),
)
_HATE_SHARE = {
    CrimeType.VIOLENT_CRIME: 0.02,
    CrimeType.PUBLIC_ORDER: 0.06,
    CrimeType.CRIMINAL_DAMAGE_ARSON: 0.01,
}
_DRINK_RELATED = (CrimeType.VIOLENT_CRIME, CrimeType.PUBLIC_ORDER)
_WEAPONS: dict[CrimeType, Weighted[WeaponKind | None]] = {
    CrimeType.VIOLENT_CRIME: ((WeaponKind.KNIFE, 0.03), (WeaponKind.OTHER, 0.04), (None, 0.93)),
    CrimeType.ROBBERY: ((WeaponKind.KNIFE, 0.15), (WeaponKind.OTHER, 0.05), (None, 0.8)),
    CrimeType.POSSESSION_OF_WEAPONS: (
        (WeaponKind.KNIFE, 0.75),
        (WeaponKind.OTHER, 0.2),
        (WeaponKind.FIREARM, 0.05),
    ),
}


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def hate_strands(rng: random.Random, share: float) -> tuple[HateStrand, ...]:
    """One strand for a hate crime (with probability ``share``), else none."""
    return (pick(rng, _STRANDS),) if _chance(rng, share) else ()


def violence_people(rng: random.Random, *, domestic: bool) -> People:
    """Victim/offender profile of a violent crime; domestic abuse is mostly partner abuse."""
    if domestic:
        relationship = Relationship.PARTNER if _chance(rng, 0.7) else Relationship.FAMILY
        female = _chance(rng, 0.75)
    else:
        relationship, female = pick(rng, _NON_DOMESTIC), _chance(rng, 0.4)
    return People(
        victim_age_band=pick(rng, _ADULT_AGES),
        victim_gender=Gender.FEMALE if female else Gender.MALE,
        offender_gender=Gender.MALE if _chance(rng, 0.8) else Gender.FEMALE,
        relationship=relationship,
    )


def police_profile(rng: random.Random, crime: CrimeType) -> tuple[People, Flags]:
    """People and flags plausible for a police-recorded crime of this type."""
    domestic = crime is CrimeType.VIOLENT_CRIME and _chance(rng, 0.3)
    people = People()
    if crime in (CrimeType.VIOLENT_CRIME, CrimeType.ROBBERY):
        people = violence_people(rng, domestic=domestic)
    elif crime is CrimeType.ANTI_SOCIAL_BEHAVIOUR:
        people = People(youth=_chance(rng, 0.3))
    weapon_options = _WEAPONS.get(crime)
    strands = hate_strands(rng, _HATE_SHARE.get(crime, 0.0))
    flags = Flags(
        hate_crime=bool(strands),
        hate_strands=strands,
        domestic_abuse=domestic,
        weapon=pick(rng, weapon_options) if weapon_options else None,
        alcohol_related=crime in _DRINK_RELATED and _chance(rng, 0.2),
        drug_related=crime is CrimeType.DRUGS,
        vulnerable_victim=domestic and _chance(rng, 0.2),
    )
    return people, flags


def asb_profile(rng: random.Random, asb_type: AsbType) -> tuple[People, Flags]:
    """Youth flag (and a 10–17 perpetrator band) and the flags an ASB unit records."""
    youth = _chance(rng, YOUTH_SHARE.get(asb_type, 0.05))
    people = People(youth=youth, offender_age_band=AgeBand.AGE_10_17 if youth else None)
    personal = asb_type in (AsbType.NEIGHBOUR_DISPUTE, AsbType.HARASSMENT_INTIMIDATION)
    strands = hate_strands(rng, 0.05 if asb_type is AsbType.HARASSMENT_INTIMIDATION else 0.0)
    flags = Flags(
        hate_crime=bool(strands),
        hate_strands=strands,
        alcohol_related=asb_type is AsbType.STREET_DRINKING,
        drug_related=asb_type in (AsbType.DRUG_DEALING_USE, AsbType.LITTER_DRUG_PARAPHERNALIA),
        vulnerable_victim=personal and _chance(rng, 0.1),
    )
    return people, flags


def call_flags(rng: random.Random, category: CallCategory) -> Flags:
    return Flags(vulnerable_victim=category is CallCategory.WELFARE_CONCERN and _chance(rng, 0.4))
