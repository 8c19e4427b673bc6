"""Creates the deployment's topics (idempotent), reads the broker's identity and whether
the deployment's log holds anything yet."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas.topics import Topics, TopicSpec

log = logging.getLogger(__name__)


def _new_topic(spec: TopicSpec, partitions: int) -> NewTopic:
    config: dict[str, str] = {}
    if spec.retention_ms is not None:
        config["retention.ms"] = str(spec.retention_ms)
    if spec.compact:
        config["cleanup.policy"] = "compact"
    return NewTopic(
        spec.name,
        num_partitions=spec.partitions or partitions,
        replication_factor=1,
        topic_configs=config,
    )


def ensure_topics(bootstrap: str, topics: Topics, partitions: int) -> list[str]:
    """Create every topic that does not exist yet; returns the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="safer-admin")
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in topics.all if spec.name not in existing]
        for spec in missing:
            try:
                admin.create_topics([_new_topic(spec, partitions)])
            except TopicAlreadyExistsError:
                log.info("topic already exists", extra={"topic": spec.name})
        return [spec.name for spec in missing]
    finally:
        admin.close()


def topic_exists(bootstrap: str, name: str) -> bool:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="safer-admin")
    try:
        return name in set(admin.list_topics())
    finally:
        admin.close()


def recreate_topic(bootstrap: str, spec: TopicSpec, partitions: int, wait_s: float = 30.0) -> None:
    """Delete a topic if it exists and create it empty (a derived topic being rebuilt)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="safer-admin")
    try:
        if spec.name in set(admin.list_topics()):
            admin.delete_topics([spec.name])
        deadline = time.monotonic() + wait_s
        while True:  # a deletion may take a moment to be visible
            try:
                admin.create_topics([_new_topic(spec, partitions)])
                return
            except TopicAlreadyExistsError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        admin.close()


def cluster_id(bootstrap: str) -> str:
    """The broker cluster's identity (the embedded broker gets a fresh one every run)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="safer-admin")
    try:
        described = admin.describe_cluster()
        return str(described["cluster_id"])
    finally:
        admin.close()


def holds_records(bootstrap: str, names: Iterable[str], probe_ms: int = 1000) -> bool:
    """Whether any partition of these topics holds a record (missing topics hold none).

    End offsets first; the embedded broker's can be short of the true end, so they are only
    a lower bound: when all say 0, one fetch from the beginning of every partition decides
    (``probe_ms``: how long it may wait for a record).
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="safer-admin",
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    try:
        parts = [
            TopicPartition(name, p)
            for name in names
            for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        if not parts:
            return False
        if any(offset > 0 for offset in consumer.end_offsets(parts).values()):
            return True
        consumer.assign(parts)
        consumer.seek_to_beginning()
        return bool(consumer.poll(timeout_ms=probe_ms, max_records=1))
    finally:
        consumer.close()
