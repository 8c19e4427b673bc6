"""The skip-to-dead-letter policy, decided in one place, as a pure function.

Content faults (not JSON, schema violations including personal-data fields, a Kafka key
that is not the record_key, an event on another source's raw topic) are the message's
fault: it is dead-lettered and the stream goes on. Infrastructure faults (Kafka or Redis
unavailable) are raised: the batch is not marked processed and is retried after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.categories import Source
from schemas.codec import ValidationError, decode_incident, error_list
from schemas.deadletter import RejectReason
from schemas.events import IncidentEvent


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: RejectReason
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)


def classify(key: bytes | None, value: bytes, expected: Source | None) -> IncidentEvent | Rejection:
    """Decode one raw message into a typed event, or say why it is rejected."""
    try:
        event = decode_incident(value)
    except ValidationError as exc:
        errors = error_list(exc)
        if errors and errors[0]["type"] in {"json_invalid", "json_type"}:
            return Rejection(
                RejectReason.NOT_JSON, f"not a JSON object: {errors[0]['msg']}", errors
            )
        return Rejection(RejectReason.INVALID, _summary(errors), errors)
    if key is not None and key != event.record_key.encode():
        return Rejection(RejectReason.KEY_MISMATCH, "Kafka key differs from record_key")
    if expected is not None and event.source is not expected:
        detail = f"a {event.source.value} event on the {expected.value} raw topic"
        return Rejection(RejectReason.SOURCE_MISMATCH, detail)
    return event


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [f"{e['loc'] or '<root>'}: {e['msg']}" for e in errors[:5]]
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{len(errors)} invalid field(s): " + "; ".join(parts) + more
