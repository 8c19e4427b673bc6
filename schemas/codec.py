"""Bytes <-> typed events, decoded once at the agent boundary.

Decision (recorded here as the contract's owner): events travel as UTF-8 JSON; they are
decoded with a module-level pydantic ``TypeAdapter`` over the discriminated union, which
reports every field error at once; typed models, not dicts, are passed further in.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from schemas.bounds import DEFAULT_BOUNDS, Bounds
from schemas.events import IncidentEvent

INCIDENT_ADAPTER: TypeAdapter[IncidentEvent] = TypeAdapter(IncidentEvent)

__all__ = [
    "INCIDENT_ADAPTER",
    "ValidationError",
    "decode_incident",
    "encode_incident",
    "error_list",
]


def decode_incident(raw: bytes, bounds: Bounds = DEFAULT_BOUNDS) -> IncidentEvent:
    """Parse and validate one raw message within ``bounds`` (raises ``ValidationError``
    listing all faults)."""
    return INCIDENT_ADAPTER.validate_json(raw, context=bounds)


def encode_incident(event: IncidentEvent) -> bytes:
    """Canonical JSON of an event (no ``None`` fields, so it is stable and compact)."""
    return INCIDENT_ADAPTER.dump_json(event, exclude_none=True)


def error_list(exc: ValidationError) -> list[dict[str, Any]]:
    """Field errors as plain data: location, message and error type (never the input value)."""
    return [
        {"loc": ".".join(str(p) for p in err["loc"]), "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
