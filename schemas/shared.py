"""Contract of a subscriber's topic (``safer.sub.<name>.v1``): one shared incident record.

The envelope of the canonical event (``id``, ``type``, ``source``, ``time``, ``record_key``,
``version``, ``status``), the revision of the sharing agreement that made it, and of the
payload only what that agreement allows: every payload field is optional here, since which
ones are present is the agreement's choice, and nothing else may appear (closed content
model, like the canonical one). ``status = "cancelled"`` with an empty payload withdraws a
record the subscriber was sent before (cancelled at source, or corrected out of its scope).

Identity and order: ``record_key`` and ``version`` as on the canonical topic — keep the
highest version of each record; ``id`` is unique per message, so a message delivered twice
(at-least-once) is recognised by it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.bounds import UtcDatetime, Version
from schemas.categories import (
    AsbType,
    CallChannel,
    EventKind,
    FireCause,
    LocationType,
    PropertyCategory,
    RecordStatus,
    SearchType,
    Source,
)
from schemas.events import (
    Contract,
    Flags,
    Occurrence,
    People,
    PlaceName,
    RecordKey,
    Slug,
)


class SharedLocation(Contract):
    """Where, at the agreement's precision: codes, and a police.uk-style snapped point."""

    lat: float | None = Field(default=None, ge=49.0, le=61.5)
    lon: float | None = Field(default=None, ge=-8.7, le=2.1)
    place: PlaceName | None = Field(default=None, description="The snapped point's name.")
    lsoa_code: str | None = Field(default=None, pattern=r"^[EW]01\d{6}$")
    ward_code: str | None = Field(default=None, pattern=r"^[EW]05\d{6}$")
    location_type: LocationType | None = None


class SharedData(Contract):
    """The payload fields an agreement may allow (all optional)."""

    category: Slug | None = None
    occurred: Occurrence | None = None
    reported_at: UtcDatetime | None = None
    received_at: UtcDatetime | None = None
    location: SharedLocation | None = None
    people: People | None = None
    flags: Flags | None = None
    outcome: Slug | None = None
    asb_type: AsbType | None = None
    channel: CallChannel | None = None
    priority: int | None = Field(default=None, ge=1, le=4)
    cause: FireCause | None = None
    property_category: PropertyCategory | None = None
    search_type: SearchType | None = None
    legislation: Slug | None = None
    outcome_linked: bool | None = None
    clothing_removed: bool | None = None
    operation: bool | None = None


class SharedCount(Contract):
    """One message of an aggregates-level subscriber's topic: one area's count of one
    category on one closed local day, as its agreement discloses it. Published when the day
    closes and again whenever late records change what is shown; ``version`` grows with
    every message of the cell (keep the highest)."""

    level: Literal["ward", "borough"]
    area: Annotated[str, Field(pattern=r"^[EW]0[5-9]\d{6}$")]
    category: Slug
    day: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    count: Annotated[int, Field(ge=0)] | None = Field(
        description="The disclosed count; null where it is suppressed (see shown)."
    )
    shown: Annotated[str, Field(max_length=40)] = Field(
        description='The figure as text, e.g. "15", "fewer than 5", "<10".'
    )
    disclosure: Literal["protected", "ons"]
    version: Annotated[int, Field(ge=1)]
    agreement: Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]
    schema_version: Literal["1"] = "1"

    @property
    def cell(self) -> str:
        return f"{self.level}|{self.area}|{self.category}|{self.day}"


class SharedRecord(Contract):
    """One message of a subscriber's topic."""

    id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
    type: EventKind
    source: Source
    time: UtcDatetime
    record_key: RecordKey
    version: Version
    status: RecordStatus
    agreement: Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")] = Field(
        description="Revision of the sharing agreement this view was made under."
    )
    data: SharedData
    schema_version: Literal["1"] = "1"
