"""Reading a whole topic once (every partition from the beginning, no consumer group)."""

from __future__ import annotations

import json
from typing import Any

from kafka import KafkaConsumer, TopicPartition


def read_all(bootstrap: str, topic: str, idle_ms: int = 2000) -> list[dict[str, Any]]:
    """Every message of ``topic`` as JSON, in partition order (none if it does not exist).
    The embedded broker's end offsets are only a lower bound, so it reads until a fetch
    comes back empty for ``idle_ms``."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=idle_ms,
        fetch_max_wait_ms=100,
    )
    try:
        parts = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not parts:
            return []
        consumer.assign(parts)
        consumer.seek_to_beginning()
        return [json.loads(record.value) for record in consumer]
    finally:
        consumer.close()
