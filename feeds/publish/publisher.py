"""Publishes partner messages (adapted or simulated) to their raw Kafka topics.

Each message goes to ``Topics(prefix).raw(source)`` keyed by its record key, so every
version of a record lands on one partition in order. The producer waits for all in-sync
replicas (``acks="all"``) but is not idempotent: the embedded broker grants no producer
ids, and downstream writes are idempotent anyway (at-least-once delivery is the contract).
Without idempotence, one request in flight per connection keeps retries in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from kafka import KafkaProducer

from feeds.raw import RawMessage
from schemas.topics import Topics, partition_for

log = logging.getLogger(__name__)
class RawPublisher:
    """A kafka-python producer for raw partner topics; use as a context manager."""

    def __init__(self, bootstrap: str, topics: Topics, **producer_config: Any) -> None:
        """``producer_config`` overrides or adds KafkaProducer settings (e.g. ``client_id``)."""
        self._topics = topics
        self._failed = 0
        self._acked: dict[tuple[str, int], tuple[int, int]] = {}
        self._partitions: dict[str, int] = {}
        config: dict[str, Any] = {
            "acks": "all",
            "linger_ms": 5,
            "enable_idempotence": False,
            "max_in_flight_requests_per_connection": 1,
            "client_id": "safer-feed-publisher",
        }
        self._producer = KafkaProducer(bootstrap_servers=bootstrap, **(config | producer_config))

    @property
    def failed(self) -> int:
        """Messages whose delivery failed after retries (each one is logged)."""
        return self._failed

    @property
    def acknowledged(self) -> dict[tuple[str, int], tuple[int, int]]:
        """Per (topic, partition): the first and last offset the broker acknowledged for
        this publisher (after ``flush``: every message sent so far)."""
        return dict(self._acked)

    def publish(self, messages: Iterable[RawMessage]) -> int:
        """Send every message (asynchronously); returns how many were handed to the producer."""
        sent = 0
        for message in messages:
            topic = self._topics.raw(message.source).name
            partition = partition_for(message.key, self._partition_count(topic))
            future = self._producer.send(
                topic, key=message.key, value=message.value, partition=partition
            )
            future.add_callback(self._on_ack)
            future.add_errback(self._on_error, topic)
            sent += 1
        return sent

    def _partition_count(self, topic: str) -> int:
        """Partitions of a topic (cached): messages are partitioned like the worker's own
        output (``schemas.topics.partition_for``), not by kafka-python's pure-Python
        murmur2, which costs more than the rest of a send."""
        count = self._partitions.get(topic)
        if count is None:
            known = self._producer.partitions_for(topic)
            count = self._partitions[topic] = len(known) if known else 1
        return count

    def flush(self, timeout: float | None = None) -> None:
        """Block until every message sent so far is acknowledged (or has failed)."""
        self._producer.flush(timeout=timeout)

    def close(self, timeout: float | None = None) -> None:
        self._producer.close(timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.flush()
        self.close()

    def _on_ack(self, metadata: Any) -> None:
        """kafka-python callback (its I/O thread) with the message's RecordMetadata."""
        where = (metadata.topic, metadata.partition)
        first, last = self._acked.get(where, (metadata.offset, metadata.offset))
        self._acked[where] = (min(first, metadata.offset), max(last, metadata.offset))

    def _on_error(self, topic: str, error: BaseException) -> None:
        """kafka-python errback (its own I/O thread; ``add_errback`` binds ``topic`` first)."""
        self._failed += 1
        fields = {"stage": "publish", "topic": topic, "error": repr(error)}
        log.error("raw publish failed", extra=fields)
