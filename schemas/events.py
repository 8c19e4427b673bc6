"""Event contract v1: a CloudEvents-shaped envelope with one typed payload per event kind.

Every model is frozen and forbids unknown fields, so a name, phone number, free-text
address or narrative — which have no field — is rejected at the ingestion boundary
instead of travelling on. Timestamps must carry a zone and are stored in UTC.
Event time (``data.occurred``) is an instant or a half-open interval [start, end).

Identity: ``id`` is unique per message; ``record_key`` is the partner record's stable
identity across all its versions (also the Kafka message key); ``version`` increases with
every correction; ``status="cancelled"`` withdraws the record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

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

SCHEMA_VERSION: Literal["1"] = "1"


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A zone-aware timestamp, normalised to UTC (naive timestamps are rejected)."""

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
RecordKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$")]
Pseudonym = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
"""A keyed-hash pseudonym made at the adapter (never the reference itself)."""

_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"^\s*(on or near\s+)?(flat\s+)?\d+[a-z]?\b", re.IGNORECASE)


def _controlled_place(value: str) -> str:
    """A street or place name from a controlled source: never a postcode or house number."""
    if _POSTCODE.search(value) or _HOUSE_NUMBER.search(value):
        raise ValueError("looks like a postal address; only controlled street/place names allowed")
    return value


PlaceName = Annotated[
    str,
    Field(min_length=2, max_length=100, pattern=r"^[^\n\r\t]+$"),
    AfterValidator(_controlled_place),
]


class Contract(BaseModel):
    """Base of every contract model: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class Occurrence(Contract):
    """When it happened: an instant (``end`` is None) or a half-open interval [start, end)."""

    start: UtcDatetime
    end: UtcDatetime | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> Occurrence:
        if self.end is not None and self.end <= self.start:
            raise ValueError("occurred.end must be after occurred.start")
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

    id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    schema_version: Literal["1"] = SCHEMA_VERSION
    partner: Slug = Field(description="Publishing organisation, e.g. merseyside-police.")
    time: UtcDatetime = Field(description="When this version of the record was published.")
    record_key: RecordKey
    version: int = Field(ge=1)
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
