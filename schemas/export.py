"""JSON Schema files exported from the models and checked in under ``schemas/json/``, with
the AsyncAPI document of the topics (``schemas.asyncapi``: ``asyncapi.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas.aggregates import AggregateChange
from schemas.alerts import AlertEvent
from schemas.deadletter import DeadLetter
from schemas.events import IncidentEvent
from schemas.shared import SharedCount, SharedRecord

SCHEMA_DIR = Path(__file__).parent / "json"

_DOCUMENTS: dict[str, TypeAdapter[Any]] = {
    "incident-event.v1.schema.json": TypeAdapter(IncidentEvent),
    "dead-letter.v1.schema.json": TypeAdapter(DeadLetter),
    "alert-event.v1.schema.json": TypeAdapter(AlertEvent),
    "shared-record.v1.schema.json": TypeAdapter(SharedRecord),
    "shared-count.v1.schema.json": TypeAdapter(SharedCount),
    "aggregate-change.v1.schema.json": TypeAdapter(AggregateChange),
}
ASYNCAPI_FILE = "asyncapi.json"


def rendered() -> dict[str, str]:
    """File name -> JSON Schema text, exactly as it is written to disk."""
    return {
        name: json.dumps(adapter.json_schema(mode="validation"), indent=2, sort_keys=True) + "\n"
        for name, adapter in _DOCUMENTS.items()
    }


def documents() -> dict[str, str]:
    """Every file ``safer schemas export`` writes: the JSON Schemas and the AsyncAPI one."""
    from schemas.asyncapi import document

    text = json.dumps(document(), indent=2, sort_keys=True) + "\n"
    return {**rendered(), ASYNCAPI_FILE: text}


def export(target: Path = SCHEMA_DIR) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in documents().items():
        path = target / name
        path.write_text(text)
        written.append(path)
    return written


def stale(target: Path = SCHEMA_DIR) -> list[str]:
    """Names of checked-in schema files that differ from the models (or are missing)."""
    return [
        name
        for name, text in documents().items()
        if not (target / name).exists() or (target / name).read_text() != text
    ]
