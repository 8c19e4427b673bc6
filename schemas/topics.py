"""Every Kafka topic, declared once: name, key, value and partitions.

This module is the one owner of topic names; feeds, the faust app, consumers and tests
import it. It does not import faust (publishers and the dashboard must not need it).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from schemas.categories import Source


def partition_for(key: bytes | None, partitions: int) -> int:
    """The partition of a keyed message our jobs write: CRC-32 of the key modulo the
    partition count (every version of a record in one partition, in order). Unkeyed: 0."""
    return zlib.crc32(key) % partitions if key else 0


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key: str
    value: str
    compact: bool = False
    retention_ms: int | None = None
    partitions: int | None = None
    """Its own partition count; None: the deployment's (``SAFER_PARTITIONS``)."""


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names of one deployment (all share the configured prefix)."""

    prefix: str

    def raw(self, source: Source) -> TopicSpec:
        """Partner feed as received: one topic per source, key = record_key."""
        return TopicSpec(f"{self.prefix}raw.{source.value}", "record_key", "raw JSON bytes")

    @property
    def raw_all(self) -> tuple[TopicSpec, ...]:
        return tuple(self.raw(source) for source in Source)

    @property
    def incidents(self) -> TopicSpec:
        """Canonical, validated incidents (schema v1); retained forever: the source of truth."""
        return TopicSpec(
            f"{self.prefix}incidents.v1", "record_key", "IncidentEvent JSON", retention_ms=-1
        )

    @property
    def deadletter(self) -> TopicSpec:
        """Rejected input with reason, origin and the original bytes (DeadLetter JSON)."""
        return TopicSpec(
            f"{self.prefix}deadletter.v1", "original key", "DeadLetter JSON", retention_ms=-1
        )

    @property
    def alerts(self) -> TopicSpec:
        """Alerts as they are raised, updated and resolved (AlertEvent JSON, key = alert
        id); kept 400 days, the alert history."""
        return TopicSpec(
            f"{self.prefix}alerts.v1", "alert id", "AlertEvent JSON", retention_ms=400 * 86_400_000
        )

    @property
    def aggregates(self) -> TopicSpec:
        """Area × category × day (and hour) counts each time they change (AggregateChange
        JSON, key = the cell), compacted: the latest message per cell is its count."""
        return TopicSpec(
            f"{self.prefix}aggregates.v1",
            "level|area|category|grain|bucket",
            "AggregateChange JSON",
            compact=True,
        )

    def subscriber(self, name: str) -> TopicSpec:
        """One subscriber's view under its sharing agreement (SharedRecord JSON, key =
        record_key), written by ``streams.subscribers``. One partition, so a position in it
        is one offset (the gateway's ``Last-Event-ID``); kept forever like the canonical
        topic it is derived from, and rebuilt from it when the agreement changes."""
        return TopicSpec(
            f"{self.prefix}sub.{name}.v1",
            "record_key",
            "SharedRecord JSON",
            retention_ms=-1,
            partitions=1,
        )

    @property
    def all(self) -> tuple[TopicSpec, ...]:
        return (*self.raw_all, self.incidents, self.deadletter, self.alerts, self.aggregates)
