"""The dead-letter record: what was rejected, why, from where, and the original bytes."""

from __future__ import annotations

import base64
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from schemas.events import Contract, UtcDatetime


class RejectReason(StrEnum):
    """Why a message was dead-lettered (a bounded set: it is also a metric label)."""

    NOT_JSON = "not-json"
    INVALID = "invalid"
    KEY_MISMATCH = "key-mismatch"
    SOURCE_MISMATCH = "source-mismatch"
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
