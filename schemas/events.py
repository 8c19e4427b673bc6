"""Event contract v1: a CloudEvents-shaped envelope with one typed payload per event kind.

Every model is frozen and forbids unknown fields, so a name, phone number, free-text
address or narrative — which have no field — is rejected at the ingestion boundary
instead of travelling on; every free string field (ids, keys, slugs, the place name) is
also checked for personal data (``schemas.pii``), and a place name holds no digits but a
road number. Every field is bounded (``schemas.bounds``): times are zoned strings within
a plausible range, stored in UTC; an interval lasts at most 400 days (configured);
versions fit in 64 bits. Event time (``data.occurred``) is an instant or a half-open
interval [start, end).

Identity: ``id`` is unique per message; ``record_key`` is the partner record's stable
identity across all its versions (also the Kafka message key); ``version`` increases with
every correction; ``status="cancelled"`` withdraws the record.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from schemas.bounds import UtcDatetime, Version, check_interval
from schemas.categories import (
    ASB_TYPE_CATEGORY,
    AgeBand,
    AsbCategory,
    AsbType,
    CallCategory,
    CallChannel,
    CrimeType,
    EventKind,
    FireCategory,
    FireCause,
    Gender,
    HateStrand,
    LocationType,
    PropertyCategory,
    RecordStatus,
    Relationship,
    SearchType,
    Source,
    StopSearchCategory,
    WeaponKind,
)
from schemas.pii import find_personal_data

SCHEMA_VERSION: Literal["1"] = "1"


PERSONAL_DATA_ERROR = "personal_data"
"""The pydantic error type of a field holding personal data (dead-letter ``personal-data``)."""
_ROAD_NUMBER = re.compile(r"\b[ABM]\d{1,4}(\(M\))?\b")
"""A road number (A565, M53, B5151, A1(M)): the only digits a controlled place name has."""


def _no_personal_data(value: str) -> str:
    """No phone number, e-mail address, NI number, postcode or house number (``schemas.pii``)."""
    return _refuse_personal(value, controlled=False)


def _controlled_place(value: str) -> str:
    """A street or place name from a controlled list (police.uk's "On or near ..." points):
    no digits but road numbers, no personal data, no person's name."""
    _refuse_personal(value, controlled=True)
    if any(c.isdigit() for c in _ROAD_NUMBER.sub("", value)):
        raise PydanticCustomError(
            PERSONAL_DATA_ERROR, "digits in a place name (only road numbers such as A565)"
        )
    return value


def _refuse_personal(value: str, controlled: bool) -> str:
    kind = find_personal_data(value, controlled=controlled)
    if kind is not None:
        raise PydanticCustomError(
            PERSONAL_DATA_ERROR, "looks like personal data ({kind})", {"kind": kind.value}
        )
    return value


Slug = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"), AfterValidator(_no_personal_data)
]
RecordKey = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$"),
    AfterValidator(_no_personal_data),
]
Pseudonym = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
"""A keyed-hash pseudonym made at the adapter (never the reference itself)."""

PlaceName = Annotated[
    str,
    Field(min_length=2, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$"),
    AfterValidator(_controlled_place),
]


class Contract(BaseModel):
    """Base of every contract model: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Occurrence(Contract):
    """When it happened: an instant (``end`` is None) or a half-open interval [start, end)
    of at most 400 days (``SAFER_MAX_INTERVAL_DAYS``)."""

    start: UtcDatetime
    end: UtcDatetime | None = None

    @model_validator(mode="after")
    def _bounded_interval(self, info: ValidationInfo) -> Occurrence:
        check_interval(self.start, self.end, info)
        return self

    @property
    def is_instant(self) -> bool:
        return self.end is None


class Location(Contract):
    """Where: coordinates and area codes; the place name only from a controlled list."""

    lat: float | None = Field(default=None, ge=49.0, le=61.5)
    lon: float | None = Field(default=None, ge=-8.7, le=2.1)
    place: PlaceName | None = Field(
        default=None, description="Controlled street/place, e.g. police.uk 'On or near …' points."
    )
    lsoa_code: str | None = Field(default=None, pattern=r"^[EW]01\d{6}$")
    ward_code: str | None = Field(default=None, pattern=r"^[EW]05\d{6}$")
    location_type: LocationType | None = None

    @model_validator(mode="after")
    def _both_coordinates(self) -> Location:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        return self


class People(Contract):
    """Aggregate-safe attributes of the people involved (never identities)."""

    victim_age_band: AgeBand | None = None
    victim_gender: Gender | None = None
    offender_age_band: AgeBand | None = None
    offender_gender: Gender | None = None
    youth: bool | None = Field(default=None, description="Youth-related (under 18) where recorded.")
    relationship: Relationship | None = None
    subject_age_band: AgeBand | None = Field(
        default=None, description="The person stopped and searched (stop and search only)."
    )
    subject_gender: Gender | None = None


class Flags(Contract):
    domestic_abuse: bool = False
    hate_crime: bool = False
    hate_strands: tuple[HateStrand, ...] = ()
    weapon: WeaponKind | None = None
    alcohol_related: bool = False
    drug_related: bool = False
    vulnerable_victim: bool = False

    @model_validator(mode="after")
    def _strands_need_hate_crime(self) -> Flags:
        if self.hate_strands and not self.hate_crime:
            raise ValueError("hate_strands given but hate_crime is false")
        return self


class IncidentCore(Contract):
    """What every incident payload has."""

    occurred: Occurrence
    reported_at: UtcDatetime | None = None
    received_at: UtcDatetime
    location: Location = Location()
    people: People = People()
    flags: Flags = Flags()


class PoliceCrime(IncidentCore):
    category: CrimeType
    outcome: Slug | None = None


class CouncilAsb(IncidentCore):
    category: AsbCategory
    asb_type: AsbType
    caller_ref: Pseudonym | None = None
    address_ref: Pseudonym | None = None

    @model_validator(mode="after")
    def _type_in_category(self) -> CouncilAsb:
        if ASB_TYPE_CATEGORY[self.asb_type] is not self.category:
            raise ValueError(
                f"asb_type {self.asb_type.value} is not in category {self.category.value}"
            )
        return self


class ControlRoomCall(IncidentCore):
    category: CallCategory
    channel: CallChannel = CallChannel.PHONE
    priority: int = Field(default=3, ge=1, le=4)
    caller_ref: Pseudonym | None = None
    address_ref: Pseudonym | None = None


class FireIncident(IncidentCore):
    category: FireCategory
    cause: FireCause = FireCause.UNKNOWN
    property_category: PropertyCategory | None = None


class StopSearch(IncidentCore):
    """A police stop and search as data.police.uk publishes it (its object as category).
    Police activity, not an incident: kept out of incident totals. The operation's name is
    free text and not carried; ethnicity is not carried."""

    category: StopSearchCategory
    search_type: SearchType
    legislation: Slug | None = None
    outcome: Slug | None = None
    outcome_linked: bool | None = Field(
        default=None, description="Whether the outcome was linked to the object of search."
    )
    clothing_removed: bool | None = Field(
        default=None, description="Removal of more than just outer clothing."
    )
    operation: bool = Field(default=False, description="Part of a policing operation.")


class Envelope(Contract):
    """CloudEvents-shaped envelope fields common to every event kind."""

    id: Annotated[
        str,
        Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"),
        AfterValidator(_no_personal_data),
    ]
    schema_version: Literal["1"] = SCHEMA_VERSION
    partner: Slug = Field(description="Publishing organisation, e.g. merseyside-police.")
    time: UtcDatetime = Field(description="When this version of the record was published.")
    record_key: RecordKey
    version: Version
    status: RecordStatus = RecordStatus.ACTIVE

    @property
    def category(self) -> str:
        return str(self.data.category.value)  # type: ignore[attr-defined]  # every payload has one


class PoliceCrimeEvent(Envelope):
    type: Literal[EventKind.POLICE_CRIME]
    source: Literal[Source.POLICE]
    data: PoliceCrime


class CouncilAsbEvent(Envelope):
    type: Literal[EventKind.COUNCIL_ASB]
    source: Literal[Source.COUNCIL]
    data: CouncilAsb


class ControlRoomCallEvent(Envelope):
    type: Literal[EventKind.COUNCIL_CALL]
    source: Literal[Source.COUNCIL]
    data: ControlRoomCall


class FireIncidentEvent(Envelope):
    type: Literal[EventKind.FIRE_INCIDENT]
    source: Literal[Source.FIRE]
    data: FireIncident


class PoliceStopSearchEvent(Envelope):
    type: Literal[EventKind.POLICE_STOP_SEARCH]
    source: Literal[Source.POLICE]
    data: StopSearch


IncidentEvent = Annotated[
    PoliceCrimeEvent
    | CouncilAsbEvent
    | ControlRoomCallEvent
    | FireIncidentEvent
    | PoliceStopSearchEvent,
    Field(discriminator="type"),
]
"""Any v1 incident event; ``type`` selects the payload model."""
