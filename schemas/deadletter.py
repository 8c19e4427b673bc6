"""The dead-letter record: what was rejected, why, from where, and the original bytes."""

from __future__ import annotations

import base64
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from schemas.bounds import UtcDatetime
from schemas.events import Contract


class RejectReason(StrEnum):
    """Why a message was dead-lettered (a bounded set: it is also a metric label)."""

    NULL_VALUE = "null-value"
    """A Kafka message with a null value (a tombstone)."""
    EMPTY = "empty"
    """A message of zero bytes."""
    NOT_JSON = "not-json"
    """Bytes that are not JSON (including not UTF-8, or a byte-order mark)."""
    NOT_OBJECT = "not-object"
    """JSON, but not an object (``null``, a number, a string, an array)."""
    INVALID = "invalid"
    """Schema violations: missing, unknown or mistyped fields (all listed in ``errors``)."""
    OUT_OF_RANGE = "out-of-range"
    """Only bounds broken: a time before the earliest or in the future, an interval too long,
    a version or coordinate outside its range (``schemas.bounds``)."""
    PERSONAL_DATA = "personal-data"
    """A field holds what looks like personal data: a phone number, e-mail address, National
    Insurance number, postcode, house number or a person's name (``schemas.pii``)."""
    MISSING_KEY = "missing-key"
    """No Kafka key (it must be the record_key: per-record order depends on it)."""
    KEY_MISMATCH = "key-mismatch"
    """A Kafka key other than the record_key."""
    SOURCE_MISMATCH = "source-mismatch"
    """An event of one source on another source's raw topic."""
    PROCESSING_ERROR = "processing-error"
    """A valid event whose decoding, planning or applying raised (the exception's type and
    message in ``detail``); a bug or a value the engine cannot handle, isolated."""
    INVALID_ROW = "invalid-row"
    """A row of a partner's export that an adapter could not turn into an event."""


class DeadLetter(Contract):
    reason: RejectReason
    detail: str = Field(description="Human-readable summary of the fault.")
    errors: tuple[dict[str, Any], ...] = ()
    stage: str = Field(description="The job that rejected it, e.g. validate_incidents.")
    topic: str = Field(description="Where it came from (an adapter: the topic it was meant for).")
    partition: int | None = Field(default=None, description="None when it never was on a topic.")
    offset: int | None = None
    file: str | None = Field(default=None, description="An adapter's input file.")
    line: int | None = Field(default=None, description="Its line in that file (1 = header).")
    key_b64: str | None = None
    value_b64: str
    rejected_at: UtcDatetime

    @classmethod
    def build(
        cls,
        *,
        reason: RejectReason,
        detail: str,
        stage: str,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes,
        rejected_at: datetime,
        errors: list[dict[str, Any]] | None = None,
    ) -> DeadLetter:
        return cls(
            reason=reason,
            detail=detail,
            errors=tuple(errors or ()),
            stage=stage,
            topic=topic,
            partition=partition,
            offset=offset,
            key_b64=None if key is None else base64.b64encode(key).decode(),
            value_b64=base64.b64encode(value).decode(),
            rejected_at=rejected_at,
        )

    @classmethod
    def for_row(
        cls,
        *,
        detail: str,
        stage: str,
        topic: str,
        file: str,
        line: int,
        value: bytes,
        rejected_at: datetime,
    ) -> DeadLetter:
        """A row an adapter rejected: its file, line and original bytes."""
        return cls(
            reason=RejectReason.INVALID_ROW,
            detail=detail,
            stage=stage,
            topic=topic,
            file=file,
            line=line,
            value_b64=base64.b64encode(value).decode(),
            rejected_at=rejected_at,
        )

    @property
    def original_value(self) -> bytes:
        return base64.b64decode(self.value_b64)
