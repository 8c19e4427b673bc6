"""The AsyncAPI 3.0 document of the published topics, generated from the same models as the
JSON Schema files (``schemas.export``) and the one owner of topic names (``schemas.topics``).

Channels are the topics (addresses with the deployment's default prefix ``safer.``; raw
and subscriber topics are parameterised by source and subscriber name), each with its
Kafka binding: key, partitions, retention and clean-up policy. Messages are the contract
models; their schemas are the models' JSON Schemas, with their definitions hoisted into
``components/schemas`` so that every ``$ref`` resolves inside this one document. Servers:
the embedded broker of ``safer up`` and a production Kafka cluster. The tests validate the
document against the official AsyncAPI 3.0.0 JSON Schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from schemas.aggregates import AggregateChange
from schemas.alerts import AlertEvent
from schemas.deadletter import DeadLetter
from schemas.events import IncidentEvent
from schemas.shared import SharedCount, SharedRecord
from schemas.topics import Topics, TopicSpec

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
DEFAULT_PARTITIONS = 3
REF = "#/components/schemas/{model}"

_MESSAGES: dict[str, tuple[TypeAdapter[Any], str]] = {
    "IncidentEvent": (
        TypeAdapter(IncidentEvent),
        "A partner's incident, validated and normalised (schema v1); the Kafka key is its "
        "record_key, every version of a record in one partition, in order.",
    ),
    "DeadLetter": (
        TypeAdapter(DeadLetter),
        "Input that was refused: the reason, where it came from and its original bytes.",
    ),
    "AlertEvent": (
        TypeAdapter(AlertEvent),
        "A spike or rule alert as it is raised, updated and resolved (key: the alert id).",
    ),
    "AggregateChange": (
        TypeAdapter(AggregateChange),
        "An area × category × day (or hour) count as it changes: absolute, with a version "
        "(keep the highest per cell); key: the cell.",
    ),
    "SharedRecord": (
        TypeAdapter(SharedRecord),
        "One incident as a subscriber's sharing agreement allows it: the envelope and the "
        "agreed fields only, at the agreed precision.",
    ),
    "SharedCount": (
        TypeAdapter(SharedCount),
        "One area's count of one category on one closed day as an aggregates-level "
        "agreement discloses it (key: level|area|category|day; keep the highest version).",
    ),
}


def _schemas() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Each message's payload schema (a $ref) and every definition, in components."""
    components: dict[str, dict[str, Any]] = {}
    payloads: dict[str, Any] = {}
    for name, (adapter, _) in _MESSAGES.items():
        schema = adapter.json_schema(mode="validation", ref_template=REF)
        _asyncapi_discriminators(schema)
        for def_name, definition in schema.pop("$defs", {}).items():
            if components.setdefault(def_name, definition) != definition:
                raise ValueError(f"two models define {def_name!r} differently")
        components[name] = schema
        payloads[name] = {"$ref": REF.format(model=name)}
    return payloads, components


def _asyncapi_discriminators(node: Any) -> None:
    """AsyncAPI's schema object names its discriminator by the property alone (a string);
    pydantic writes OpenAPI's object (propertyName and mapping)."""
    if isinstance(node, dict):
        found = node.get("discriminator")
        if isinstance(found, dict):
            node["discriminator"] = found["propertyName"]
        for value in node.values():
            _asyncapi_discriminators(value)
    elif isinstance(node, list):
        for value in node:
            _asyncapi_discriminators(value)


def _binding(spec: TopicSpec, partitions: int) -> dict[str, Any]:
    config: dict[str, Any] = {"cleanup.policy": ["compact" if spec.compact else "delete"]}
    if spec.retention_ms is not None:
        config["retention.ms"] = spec.retention_ms
    return {
        "kafka": {
            "partitions": spec.partitions or partitions,
            "topicConfiguration": config,
            "bindingVersion": KAFKA_BINDING,
        }
    }


def document(prefix: str = "safer.", partitions: int = DEFAULT_PARTITIONS) -> dict[str, Any]:
    topics = Topics(prefix)
    payloads, components = _schemas()
    raw = topics.raw_all[0]
    sub = topics.subscriber("{subscriber}")
    channels: dict[str, Any] = {
        "raw": _channel(
            raw.name.rsplit(".", 1)[0] + ".{source}",
            raw,
            partitions,
            "IncidentEvent",
            "A partner's feed as received (one topic per source), validated by the worker.",
            {"source": {"enum": ["police", "council", "fire"], "description": "the partner"}},
        ),
        "incidents": _channel(
            topics.incidents.name,
            topics.incidents,
            partitions,
            "IncidentEvent",
            "Canonical incidents: the source of truth, kept forever.",
        ),
        "deadletter": _channel(
            topics.deadletter.name,
            topics.deadletter,
            partitions,
            "DeadLetter",
            "Refused input with its reason and original bytes.",
        ),
        "aggregates": _channel(
            topics.aggregates.name,
            topics.aggregates,
            partitions,
            "AggregateChange",
            "Counts per area, category and day (hours for the last 48 hours) each time they "
            "change; compacted, so its latest message per cell is the count.",
        ),
        "alerts": _channel(
            topics.alerts.name, topics.alerts, partitions, "AlertEvent", "Alerts, kept 400 days."
        ),
        "subscriber": _channel(
            sub.name,
            sub,
            partitions,
            ("SharedRecord", "SharedCount"),
            "One subscriber's view under its sharing agreement — records (SharedRecord) or, "
            "for an aggregates-level agreement, disclosed counts (SharedCount) — rebuilt "
            "from the canonical topics when the agreement changes.",
            {"subscriber": {"description": "the subscriber's name, as in its agreement"}},
        ),
    }
    operations = {
        "publishRaw": _operation("send", "raw", "Partner feeds and the gateway publish here."),
        "receiveIncidents": _operation("receive", "incidents", "Read every canonical incident."),
        "receiveDeadLetters": _operation("receive", "deadletter", "Read refused input."),
        "receiveAlerts": _operation("receive", "alerts", "Read alerts as they change."),
        "receiveAggregates": _operation(
            "receive", "aggregates", "Follow the counts (replaying converges: highest version)."
        ),
        "receiveShared": _operation(
            "receive", "subscriber", "A subscriber reads its own topic (or the gateway's SSE)."
        ),
    }
    messages = {
        name: {
            "name": name,
            "title": name,
            "summary": summary,
            "contentType": "application/json",
            "payload": payloads[name],
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": _key_of(name)},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
        for name, (_, summary) in _MESSAGES.items()
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "safer-tracker event streams",
            "version": "1",
            "description": "The topics a community-safety partnership's systems publish and "
            "subscribe to. Topic names carry the deployment's prefix (here the default "
            f"`{prefix}`) and the contract's major version; a breaking change gets a new "
            "major version and topic.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "embedded": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The embedded broker of `safer up` (its real port is "
                "`kafka_bootstrap` in `.safer/stack.json`).",
            },
            "production": {
                "host": "kafka.example.org:9093",
                "protocol": "kafka-secure",
                "description": "A production Apache Kafka cluster (`--kafka`, TLS).",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components},
    }


def _key_of(message: str) -> str:
    return {
        "IncidentEvent": "record_key",
        "SharedRecord": "record_key",
        "DeadLetter": "the refused message's own key",
        "AlertEvent": "alert id",
        "AggregateChange": "level|area|category|grain|bucket",
        "SharedCount": "level|area|category|day",
    }[message]


def _channel(
    address: str,
    spec: TopicSpec,
    partitions: int,
    message: str | tuple[str, ...],
    description: str,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    names = (message,) if isinstance(message, str) else message
    channel: dict[str, Any] = {
        "address": address,
        "description": description,
        "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in names},
        "bindings": _binding(spec, partitions),
    }
    if parameters:
        channel["parameters"] = parameters
    return channel


def _operation(action: str, channel: str, summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
    }
