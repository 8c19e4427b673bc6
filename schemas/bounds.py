"""The contract's bounds: what a plausible timestamp, interval and version is.

Every time in an event (``occurred``, ``reported_at``, ``received_at``, the envelope's
``time``) is a JSON string with an explicit zone (an integer or a zone-less string is
refused: a number would be read as seconds since 1970), not before ``earliest`` and not
after the moment it is validated plus ``future_skew``. An interval lasts at most
``max_interval`` (a police.uk month is 31 days). Versions are integers of the signed
64-bit range (what Redis, orjson and Lua read exactly).

The bounds are a validation *context*: the worker validates with the configured ones
(``safer.settings``: ``earliest_event``, ``future_skew_s``, ``max_interval_days``);
without a context (adapters building events in-process, tests) the defaults below apply.
The exported JSON Schema carries the defaults it can express (a zone and a year between
1990 and 2099 in a pattern; the rest in descriptions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

MAX_VERSION = 2**63 - 1
"""Largest version: the signed 64-bit range."""

OUT_OF_RANGE = "out_of_range"
"""The pydantic error type of every bound below (the dead-letter reason ``out-of-range``)."""

_TIME_TEXT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$"
)
_SCHEMA_PATTERN = (
    r"^(199\d|20\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d"
    r"(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)


@dataclass(frozen=True, slots=True)
class Bounds:
    """What the contract accepts as plausible (the validation context of ``decode``)."""

    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    future_skew: timedelta = timedelta(minutes=15)
    max_interval: timedelta = timedelta(days=400)

    @classmethod
    def of(cls, earliest: date, future_skew_s: float, max_interval_days: int) -> Bounds:
        start = datetime(earliest.year, earliest.month, earliest.day, tzinfo=UTC)
        return cls(start, timedelta(seconds=future_skew_s), timedelta(days=max_interval_days))

    def latest(self) -> datetime:
        """The latest plausible time now (times a partner sends are never in the future)."""
        return datetime.now(UTC) + self.future_skew


DEFAULT_BOUNDS = Bounds()


def bounds_of(info: ValidationInfo) -> Bounds:
    context = info.context
    return context if isinstance(context, Bounds) else DEFAULT_BOUNDS


def out_of_range(message: str, **values: Any) -> PydanticCustomError:
    return PydanticCustomError(OUT_OF_RANGE, message, values)


def _time_text(value: object) -> object:
    """Only a string with a zone (or, in-process, a datetime) is a time."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _TIME_TEXT.match(value):
        raise PydanticCustomError(
            "time_format", "a time must be an ISO 8601 string with a zone, e.g. 2018-03-01T12:00Z"
        )
    return value


def _plausible(value: datetime, info: ValidationInfo) -> datetime:
    """Within the bounds, then normalised to UTC (the check comes first: converting year 1
    at +01:00 to UTC would overflow)."""
    bounds = bounds_of(info)
    offset = value.utcoffset() or timedelta(0)
    wall = value.replace(tzinfo=None)  # compared as wall time: no conversion can overflow
    if wall < bounds.earliest.replace(tzinfo=None) + offset:
        raise out_of_range("time before {earliest}", earliest=bounds.earliest.isoformat())
    latest = bounds.latest()
    if wall > latest.replace(tzinfo=None) + offset:
        raise out_of_range("time in the future (after {latest})", latest=latest.isoformat())
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_time_text),
    AfterValidator(_plausible),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": _SCHEMA_PATTERN,
            "description": "ISO 8601 with a zone; not before 1990-01-01 nor after the time "
            "of validation plus a small skew (configured bounds).",
        }
    ),
]
"""A zone-aware, plausible timestamp, normalised to UTC (naive timestamps, numbers and
times outside the bounds are refused)."""

Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]


def check_interval(start: datetime, end: datetime | None, info: ValidationInfo) -> None:
    """An interval ends after it starts and lasts at most the configured length."""
    if end is None:
        return
    if end <= start:
        raise ValueError("occurred.end must be after occurred.start")
    longest = bounds_of(info).max_interval
    if end - start > longest:
        raise out_of_range("interval longer than {days} days", days=longest.days)
