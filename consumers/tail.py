"""A minimal downstream subscriber: prints a topic's messages as JSON lines.

It joins no consumer group (it reads every partition from the beginning), so running
it never moves anyone else's offsets.
"""

from __future__ import annotations

import sys

from kafka import KafkaConsumer, TopicPartition

from safer.settings import Settings
from schemas.topics import Topics


def tail(settings: Settings, stream: str, limit: int, idle_timeout_s: float) -> int:
    topics = Topics(settings.topic_prefix)
    name = topics.incidents.name if stream == "incidents" else topics.deadletter.name
    consumer = KafkaConsumer(
        bootstrap_servers=settings.require_kafka(),
        enable_auto_commit=False,
        consumer_timeout_ms=int(idle_timeout_s * 1000),
        fetch_max_wait_ms=100,
    )
    try:
        partitions = consumer.partitions_for_topic(name) or set()
        consumer.assign([TopicPartition(name, p) for p in sorted(partitions)])
        consumer.seek_to_beginning()
        for printed, message in enumerate(consumer, start=1):
            sys.stdout.write(message.value.decode("utf-8", errors="replace") + "\n")
            if limit and printed >= limit:
                break
        return 0
    finally:
        consumer.close()
