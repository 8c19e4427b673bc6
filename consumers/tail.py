"""A minimal downstream subscriber: prints a topic's messages as JSON lines.

It joins no consumer group (it reads every partition from the beginning), so running
it never moves anyone else's offsets. After a roll of the embedded broker the oldest records
of a partition are in the log archive only (the broker holds placeholders there): they are
read from the archive first.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition

from bus.archive.catalog import Catalog
from bus.archive.restore import is_placeholder, read_prefix
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
        partitions = sorted(consumer.partitions_for_topic(name) or set())
        consumer.assign([TopicPartition(name, p) for p in partitions])
        consumer.seek_to_beginning()
        for printed, value in enumerate(_values(settings, name, partitions, consumer), start=1):
            sys.stdout.write(value.decode("utf-8", errors="replace") + "\n")
            if limit and printed >= limit:
                break
        return 0
    finally:
        consumer.close()


def _values(
    settings: Settings, name: str, partitions: list[int], consumer: KafkaConsumer
) -> Iterator[bytes]:
    """The archive's prefix of each partition (after a roll), then the broker's records."""
    if settings.log_archive is not None:
        catalog = Catalog(settings.log_archive)
        for partition in partitions:
            for record in read_prefix(catalog, name, partition):
                if record.value is not None:
                    yield record.value
    for message in consumer:
        if message.value is not None and not is_placeholder(message.headers):
            yield message.value
