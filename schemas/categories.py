"""Standard definitions shared by every partner: sources, event kinds and category slugs.

Category slugs are global (unique across sources) and stable: they are what the Redis
aggregates, ``safer query`` and exports carry. Police crime types are data.police.uk's 14
street-level types with its own API slugs; ASB follows the national standard (NSIR)
personal / nuisance / environmental split with sub-types; fire follows the Home Office
incident groups (primary, secondary, chimney fires, false alarms, special services).
"""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    """The partner agency a record comes from (every record is tagged with one)."""

    POLICE = "police"
    COUNCIL = "council"
    FIRE = "fire"


class EventKind(StrEnum):
    """The envelope ``type``: one payload model per kind."""

    POLICE_CRIME = "police.crime"
    COUNCIL_ASB = "council.asb"
    COUNCIL_CALL = "council.call"
    FIRE_INCIDENT = "fire.incident"
    POLICE_STOP_SEARCH = "police.stop-search"


class RecordStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class CrimeType(StrEnum):
    """data.police.uk street-level crime types (API slugs; display names in CATEGORY_NAMES)."""

    ANTI_SOCIAL_BEHAVIOUR = "anti-social-behaviour"
    BICYCLE_THEFT = "bicycle-theft"
    BURGLARY = "burglary"
    CRIMINAL_DAMAGE_ARSON = "criminal-damage-arson"
    DRUGS = "drugs"
    OTHER_CRIME = "other-crime"
    OTHER_THEFT = "other-theft"
    POSSESSION_OF_WEAPONS = "possession-of-weapons"
    PUBLIC_ORDER = "public-order"
    ROBBERY = "robbery"
    SHOPLIFTING = "shoplifting"
    THEFT_FROM_THE_PERSON = "theft-from-the-person"
    VEHICLE_CRIME = "vehicle-crime"
    VIOLENT_CRIME = "violent-crime"


class AsbCategory(StrEnum):
    """National Standard for Incident Recording ASB categories."""

    PERSONAL = "asb-personal"
    NUISANCE = "asb-nuisance"
    ENVIRONMENTAL = "asb-environmental"


class AsbType(StrEnum):
    """ASB sub-types a council ASB unit records; each belongs to one AsbCategory."""

    NEIGHBOUR_DISPUTE = "neighbour-dispute"
    HARASSMENT_INTIMIDATION = "harassment-intimidation"
    YOUTH_GANG = "youth-gang"
    ROWDY_BEHAVIOUR = "rowdy-behaviour"
    SCRAMBLER_BIKES = "scrambler-bikes"
    VEHICLE_NUISANCE = "vehicle-nuisance"
    STREET_DRINKING = "street-drinking"
    DRUG_DEALING_USE = "drug-dealing-use"
    FIREWORKS = "fireworks"
    BEGGING = "begging"
    NOISE = "noise"
    FLY_TIPPING = "fly-tipping"
    GRAFFITI = "graffiti"
    LITTER_DRUG_PARAPHERNALIA = "litter-drug-paraphernalia"
    ABANDONED_VEHICLE = "abandoned-vehicle"


ASB_TYPE_CATEGORY: dict[AsbType, AsbCategory] = {
    AsbType.NEIGHBOUR_DISPUTE: AsbCategory.PERSONAL,
    AsbType.HARASSMENT_INTIMIDATION: AsbCategory.PERSONAL,
    AsbType.YOUTH_GANG: AsbCategory.NUISANCE,
    AsbType.ROWDY_BEHAVIOUR: AsbCategory.NUISANCE,
    AsbType.SCRAMBLER_BIKES: AsbCategory.NUISANCE,
    AsbType.VEHICLE_NUISANCE: AsbCategory.NUISANCE,
    AsbType.STREET_DRINKING: AsbCategory.NUISANCE,
    AsbType.DRUG_DEALING_USE: AsbCategory.NUISANCE,
    AsbType.FIREWORKS: AsbCategory.NUISANCE,
    AsbType.BEGGING: AsbCategory.NUISANCE,
    AsbType.NOISE: AsbCategory.NUISANCE,
    AsbType.FLY_TIPPING: AsbCategory.ENVIRONMENTAL,
    AsbType.GRAFFITI: AsbCategory.ENVIRONMENTAL,
    AsbType.LITTER_DRUG_PARAPHERNALIA: AsbCategory.ENVIRONMENTAL,
    AsbType.ABANDONED_VEHICLE: AsbCategory.ENVIRONMENTAL,
}


class StopSearchCategory(StrEnum):
    """A stop and search by its object (data.police.uk "Object of search")."""

    DRUGS = "search-drugs"
    GOING_EQUIPPED = "search-going-equipped"
    EVIDENCE = "search-evidence"
    OFFENSIVE_WEAPONS = "search-offensive-weapons"
    STOLEN_GOODS = "search-stolen-goods"
    FIREARMS = "search-firearms"
    FIREWORKS = "search-fireworks"
    CRIMINAL_DAMAGE = "search-criminal-damage"
    OTHER = "search-other"
    NOT_RECORDED = "search-not-recorded"


class SearchType(StrEnum):
    PERSON = "person"
    VEHICLE = "vehicle"
    PERSON_AND_VEHICLE = "person-and-vehicle"


class CallCategory(StrEnum):
    """What a council emergency control-room call was about."""

    ASB = "call-asb"
    CRIME_IN_PROGRESS = "call-crime-in-progress"
    WELFARE_CONCERN = "call-welfare-concern"
    CCTV_OBSERVATION = "call-cctv-observation"
    ALARM_ACTIVATION = "call-alarm-activation"
    HIGHWAYS_HAZARD = "call-highways-hazard"
    OTHER = "call-other"


class CallChannel(StrEnum):
    PHONE = "phone"
    CCTV = "cctv"
    PATROL = "patrol"
    ONLINE = "online"


class FireCategory(StrEnum):
    """Home Office fire incident groups."""

    PRIMARY_FIRE = "primary-fire"
    SECONDARY_FIRE = "secondary-fire"
    CHIMNEY_FIRE = "chimney-fire"
    FALSE_ALARM = "false-alarm"
    SPECIAL_SERVICE = "special-service"


class FireCause(StrEnum):
    """Deliberate/accidental where the service records it, unknown where it does not."""

    DELIBERATE = "deliberate"
    ACCIDENTAL = "accidental"
    UNKNOWN = "unknown"


class PropertyCategory(StrEnum):
    DWELLING = "dwelling"
    NON_RESIDENTIAL = "non-residential"
    ROAD_VEHICLE = "road-vehicle"
    OUTDOOR = "outdoor"
    OUTDOOR_STRUCTURE = "outdoor-structure"
    OTHER = "other"


class LocationType(StrEnum):
    DWELLING = "dwelling"
    STREET = "street"
    RETAIL = "retail"
    SCHOOL = "school"
    PARK_OPEN_SPACE = "park-open-space"
    BEACH = "beach"
    TRANSPORT = "transport"
    LICENSED_PREMISES = "licensed-premises"
    HEALTH = "health"
    OTHER = "other"


class AgeBand(StrEnum):
    UNDER_10 = "0-9"
    AGE_10_17 = "10-17"
    AGE_18_24 = "18-24"
    AGE_25_34 = "25-34"
    AGE_35_PLUS = "35+"  # stop and search publishes "over 34"
    AGE_35_44 = "35-44"
    AGE_45_54 = "45-54"
    AGE_55_64 = "55-64"
    AGE_65_PLUS = "65+"
    UNKNOWN = "unknown"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Relationship(StrEnum):
    """Victim–offender relationship."""

    PARTNER = "partner"
    FAMILY = "family"
    PEER = "peer"
    ACQUAINTANCE = "acquaintance"
    STRANGER = "stranger"
    NONE = "none"
    UNKNOWN = "unknown"


class HateStrand(StrEnum):
    RACE = "race"
    RELIGION = "religion"
    SEXUAL_ORIENTATION = "sexual-orientation"
    DISABILITY = "disability"
    TRANSGENDER = "transgender"


class WeaponKind(StrEnum):
    KNIFE = "knife"
    FIREARM = "firearm"
    OTHER = "other"


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


_CRIME_NAMES = {
    CrimeType.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    CrimeType.CRIMINAL_DAMAGE_ARSON: "Criminal damage and arson",
    CrimeType.VIOLENT_CRIME: "Violence and sexual offences",
}

_CALL_NAMES = {CallCategory.ASB: "ASB", CallCategory.CCTV_OBSERVATION: "CCTV observation"}

CATEGORY_NAMES: dict[str, str] = {
    **{c.value: _CRIME_NAMES.get(c, _title(c.value)) for c in CrimeType},
    **{c.value: "ASB – " + c.value.removeprefix("asb-") for c in AsbCategory},
    **{
        c.value: "Call – " + _CALL_NAMES.get(c, c.value.removeprefix("call-").replace("-", " "))
        for c in CallCategory
    },
    **{c.value: _title(c.value) for c in FireCategory},
    **{
        c.value: "Stop and search – " + c.value.removeprefix("search-").replace("-", " ")
        for c in StopSearchCategory
    },
}
"""Display name of every category slug, for the dashboard and exports."""

CATEGORY_KIND: dict[str, EventKind] = {
    **{c.value: EventKind.POLICE_CRIME for c in CrimeType},
    **{c.value: EventKind.COUNCIL_ASB for c in AsbCategory},
    **{c.value: EventKind.COUNCIL_CALL for c in CallCategory},
    **{c.value: EventKind.FIRE_INCIDENT for c in FireCategory},
    **{c.value: EventKind.POLICE_STOP_SEARCH for c in StopSearchCategory},
}
"""Category slugs are unique across kinds, so a category determines its kind and source."""

KIND_SOURCE: dict[EventKind, Source] = {
    EventKind.POLICE_CRIME: Source.POLICE,
    EventKind.COUNCIL_ASB: Source.COUNCIL,
    EventKind.COUNCIL_CALL: Source.COUNCIL,
    EventKind.FIRE_INCIDENT: Source.FIRE,
    EventKind.POLICE_STOP_SEARCH: Source.POLICE,
}

ACTIVITY_KINDS = frozenset({EventKind.POLICE_STOP_SEARCH})
"""Police activity, not incidents: counted in aggregates of their own (breakdown ``search``),
never in incident totals, the latest-incidents ticker or hot-spot profiles."""
ACTIVITY_CATEGORIES = frozenset(c.value for c in StopSearchCategory)

CATEGORY_SOURCE: dict[str, Source] = {
    slug: KIND_SOURCE[kind] for slug, kind in CATEGORY_KIND.items()
}

CATEGORY_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "all-asb": (
        "All anti-social behaviour",
        frozenset(
            {CrimeType.ANTI_SOCIAL_BEHAVIOUR.value, CallCategory.ASB.value}
            | {c.value for c in AsbCategory}
        ),
    ),
    "all-violence": (
        "All violence",
        frozenset(
            {
                CrimeType.VIOLENT_CRIME.value,
                CrimeType.PUBLIC_ORDER.value,
                CrimeType.POSSESSION_OF_WEAPONS.value,
                CrimeType.ROBBERY.value,
            }
        ),
    ),
    "all-acquisitive": (
        "All acquisitive crime",
        frozenset(
            {
                CrimeType.BURGLARY.value,
                CrimeType.VEHICLE_CRIME.value,
                CrimeType.THEFT_FROM_THE_PERSON.value,
                CrimeType.SHOPLIFTING.value,
                CrimeType.BICYCLE_THEFT.value,
                CrimeType.OTHER_THEFT.value,
            }
        ),
    ),
    "all-damage-and-fires": (
        "All criminal damage and fires",
        frozenset(
            {CrimeType.CRIMINAL_DAMAGE_ARSON.value}
            | {
                FireCategory.PRIMARY_FIRE.value,
                FireCategory.SECONDARY_FIRE.value,
                FireCategory.CHIMNEY_FIRE.value,
            }
        ),
    ),
    "all-council-calls": (
        "All council control-room calls",
        frozenset(c.value for c in CallCategory),
    ),
}
"""Category groups a viewer may filter by (slugs start ``all-``, which no category does):
label and the categories each holds, across agencies (ASB reported to the police, to the
council's ASB unit and to its control room are one group). A category may be in no group."""
