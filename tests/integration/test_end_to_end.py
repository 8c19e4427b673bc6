"""Simulated partner traffic end to end: feeds -> raw topics -> worker -> Redis / dead letters."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis

from feeds.publish.publisher import RawPublisher
from feeds.raw import RawMessage
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.settings import Settings
from schemas.codec import decode_incident
from schemas.deadletter import DeadLetter, RejectReason
from schemas.events import IncidentEvent
from schemas.topics import Topics
from store.reader import StoreReader
from tests.builders import count_cell
from tests.integration.worker import read_topic, running_worker, wait_for

MESSAGES = 3000


def expected_counts(messages: list[RawMessage]) -> Counter[str]:
    """Independent count: each record's highest version, unless that version is cancelled."""
    latest: dict[str, IncidentEvent] = {}
    for message in messages:
        if message.label == "malformed":
            continue
        event = decode_incident(message.value)
        known = latest.get(event.record_key)
        if known is None or event.version > known.version:
            latest[event.record_key] = event
    return Counter(
        count_cell(e.source.value, e.data.location.ward_code, e.category)
        for e in latest.values()
        if e.status.value == "active"
    )


def test_simulated_traffic_counts_exactly_and_dead_letters_every_malformed_record(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """Redis counts equal the valid published events per ward × category; every malformed
    record is in the dead-letter topic with its reason and original bytes."""
    simulator = Simulator(load_areas(), seed=20261123)
    messages = simulator.messages(MESSAGES, datetime.now(UTC), window=timedelta(hours=6))
    labels = Counter(m.label for m in messages)
    assert labels["malformed"] > 0, labels
    assert labels["duplicate"] > 0, labels
    assert labels["correction"] + labels["cancellation"] > 0, labels
    expected = expected_counts(messages)
    reader = StoreReader.of(redis_client, settings)
    topics = Topics(settings.topic_prefix)
    with running_worker(settings, tmp_path) as worker:
        with RawPublisher(settings.require_kafka(), topics) as publisher:
            publisher.publish(messages)
            publisher.flush()
            assert publisher.failed == 0

        def counted() -> bool:
            return {
                count_cell(r.source, r.area, r.category): r.count for r in reader.counts()
            } == expected

        wait_for(counted, 120, "exact counts", worker.log_path)
        malformed = [m.value for m in messages if m.label == "malformed"]
        dead = [
            DeadLetter.model_validate_json(v)
            for v in read_topic(settings, topics.deadletter.name, len(malformed))
        ]
    assert sorted(d.original_value for d in dead) == sorted(malformed)
    content_faults = set(RejectReason) - {RejectReason.PROCESSING_ERROR, RejectReason.INVALID_ROW}
    assert all(d.reason in content_faults and d.detail for d in dead)
    assert all(d.topic.startswith(f"{settings.topic_prefix}raw.") and d.offset >= 0 for d in dead)
    snapshot = reader.live_snapshot()
    assert sum(snapshot.deadletters.values()) == len(malformed)
    validated = sum(n for k, n in snapshot.outcomes.items() if k.startswith("validated|"))
    assert validated == MESSAGES - len(malformed)
