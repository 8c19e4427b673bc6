"""The AsyncAPI document: valid against the official AsyncAPI 3.0.0 JSON Schema, generated
from the same models and topic names as everything else, and checked in up to date."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from schemas.asyncapi import document
from schemas.export import ASYNCAPI_FILE, SCHEMA_DIR, rendered
from schemas.topics import Topics

OFFICIAL = Path(__file__).parents[1] / "data" / "asyncapi-3.0.0.schema.json.gz"
VALIDATOR = jsonschema.Draft7Validator(json.loads(gzip.decompress(OFFICIAL.read_bytes())))


def _errors(doc: dict[str, Any]) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(doc)]


def test_the_document_is_valid_asyncapi_3() -> None:
    assert _errors(document()) == []
    checked_in = json.loads((SCHEMA_DIR / ASYNCAPI_FILE).read_text())
    assert checked_in == json.loads(json.dumps(document()))


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["operations"]["receiveIncidents"].update(action="publish"),  # 2.x wording
        lambda d: d.pop("info"),
        lambda d: d["channels"]["incidents"].update(address=42),
        lambda d: d["components"]["schemas"]["IncidentEvent"].update(type=7),
    ],
)
def test_the_official_schema_catches_a_broken_document(break_it: Any) -> None:
    broken = copy.deepcopy(document())
    break_it(broken)
    assert _errors(broken)


def test_channels_are_the_topics_and_messages_their_models() -> None:
    doc = document()
    topics = Topics("safer.")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {
        "safer.raw.{source}",
        topics.incidents.name,
        topics.deadletter.name,
        topics.alerts.name,
        topics.aggregates.name,
        topics.subscriber("{subscriber}").name,
    }
    kafka = doc["channels"]["subscriber"]["bindings"]["kafka"]
    assert kafka["partitions"] == 1
    assert doc["channels"]["incidents"]["bindings"]["kafka"]["topicConfiguration"] == {
        "cleanup.policy": ["delete"],
        "retention.ms": -1,
    }
    exported = {json.loads(t)["title"] for t in rendered().values() if "title" in json.loads(t)}
    schemas = doc["components"]["schemas"]
    for message in doc["components"]["messages"].values():
        ref = message["payload"]["$ref"]
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas
    assert "SharedRecord" in exported

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):  # every reference resolves inside the one document
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
