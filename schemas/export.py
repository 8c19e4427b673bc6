"""JSON Schema files exported from the models and checked in under ``schemas/json/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from schemas.alerts import AlertEvent
from schemas.deadletter import DeadLetter
from schemas.events import IncidentEvent

SCHEMA_DIR = Path(__file__).parent / "json"

_DOCUMENTS: dict[str, TypeAdapter[Any]] = {
    "incident-event.v1.schema.json": TypeAdapter(IncidentEvent),
    "dead-letter.v1.schema.json": TypeAdapter(DeadLetter),
    "alert-event.v1.schema.json": TypeAdapter(AlertEvent),
}


def rendered() -> dict[str, str]:
    """File name -> JSON Schema text, exactly as it is written to disk."""
    return {
        name: json.dumps(adapter.json_schema(mode="validation"), indent=2, sort_keys=True) + "\n"
        for name, adapter in _DOCUMENTS.items()
    }


def export(target: Path = SCHEMA_DIR) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = target / name
        path.write_text(text)
        written.append(path)
    return written


def stale(target: Path = SCHEMA_DIR) -> list[str]:
    """Names of checked-in schema files that differ from the models (or are missing)."""
    return [
        name
        for name, text in rendered().items()
        if not (target / name).exists() or (target / name).read_text() != text
    ]
