"""Creates the deployment's topics (idempotent) and reads the broker's identity."""

from __future__ import annotations

import logging

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
        spec.name, num_partitions=partitions, replication_factor=1, topic_configs=config
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


def cluster_id(bootstrap: str) -> str:
    """The broker cluster's identity (the embedded broker gets a fresh one every run)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="safer-admin")
    try:
        described = admin.describe_cluster()
        return str(described["cluster_id"])
    finally:
        admin.close()
