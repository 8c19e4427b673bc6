"""The alert contract: what ``safer.alerts.v1`` carries (JSON Schema exported and checked in
like the others, ``schemas.export``).

One message per change of an alert: ``raised`` once, ``updated`` while it lasts (its count
changed), ``resolved`` once. ``id`` names the alert across its messages and ``sequence``
orders them (1 = raised); the pair is unique, so a consumer that sees a message twice (the
topic is at-least-once) drops the second. Counts are exact in the analyst's stream; what a
partner or the public may see of them is the dashboard's and the gateway's business, and
``record_keys`` (which incidents) is for analysts only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

from schemas.events import Contract


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


AlertTime = Annotated[AwareDatetime, AfterValidator(_utc)]
"""A time with a zone, kept in UTC (a window may end after now: the current hour counts as
it fills)."""


class AlertKind(StrEnum):
    SPIKE = "spike"
    """A window's count far above its expected count (``alerts.model``)."""
    NEAR_REPEAT = "near-repeat"
    """An incident near earlier ones of the same category, soon after (e.g. burglary)."""
    CROSS_AGENCY = "cross-agency"
    """One agency's incident near another's, soon after (e.g. ASB, then a deliberate fire)."""


class AlertState(StrEnum):
    RAISED = "raised"
    UPDATED = "updated"
    RESOLVED = "resolved"


class AlertEvent(Contract):
    id: str = Field(pattern=r"^[a-z-]+-[0-9a-f]{12}$", description="The alert, across messages.")
    sequence: int = Field(ge=1, description="1 = raised; +1 with each message of the alert.")
    kind: AlertKind
    state: AlertState
    group: str = Field(description="The alert group's slug (``alerts.groups``) or the rule's.")
    group_label: str = Field(description='As a sentence says it: "youth ASB incidents".')
    level: str = Field(description="Area level: ward or borough.")
    area: str = Field(description="ONS code of the area.")
    area_name: str
    window: str = Field(
        description="Spike: hour (the previous clock hour and this one so far) or day. Rule: "
        'its distance and time, e.g. "200m-14d".'
    )
    window_start: AlertTime
    window_end: AlertTime
    observed: int = Field(
        ge=0, description="Spike: the window's count. Rule: the triggering incidents matched."
    )
    earlier: int | None = Field(
        default=None, ge=0, description="Rule: the earlier incidents they were matched with."
    )
    expected: float | None = Field(
        default=None,
        ge=0,
        description="Spike: the expected count. Rule: the earlier incidents the triggers' "
        "circles usually hold in the rule's time.",
    )
    spread: float | None = Field(
        default=None, ge=0, description="Spike: standard deviation of the count."
    )
    p: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="P(a count at least this high) under the model (rule: of the most "
        "unusual trigger).",
    )
    p_adjusted: float | None = Field(
        default=None, ge=0, le=1, description="Benjamini-Hochberg adjusted p."
    )
    threshold: float | None = Field(
        default=None, gt=0, le=1, description="The false-discovery level it is held to."
    )
    history_weeks: int = Field(ge=0, description="Trailing weeks the feeds covered.")
    sources: tuple[str, ...] = Field(description="Sources whose incidents the group counts.")
    record_keys: tuple[str, ...] = Field(
        default=(), description="The incidents behind it, where known (analysts only)."
    )
    sentence: str = Field(description="The alert as a person reads it.")
    raised_at: AlertTime
    updated_at: AlertTime
