"""The stream worker on a real broker and Redis: validation, dead letters, idempotent counts."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from redis import Redis

from safer.settings import Settings
from schemas.categories import Source
from schemas.deadletter import DeadLetter
from schemas.topics import Topics, partition_for
from store.reader import StoreReader
from tests.builders import (
    count_cell,
    encode,
    key_of,
    make_council_asb,
    make_fire_incident,
    make_police_incident,
)
from tests.integration.worker import produce, read_records, read_topic, running_worker, wait_for


def _get(settings: Settings, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{settings.worker_web_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _counts(redis: Redis, settings: Settings) -> dict[str, int]:
    reader = StoreReader.of(redis, settings)
    return {count_cell(r.source, r.area, r.category): r.count for r in reader.counts()}


def test_valid_events_counted_and_bad_ones_dead_lettered(
    settings: Settings, redis_client: Redis, tmp_path: Path
):
    """Valid events reach the canonical topic and counts; bad ones the DLQ with reason and bytes."""
    topics = Topics(settings.topic_prefix)
    burglary = make_police_incident()
    asb = make_council_asb()
    fire = make_fire_incident(data={"location": {"ward_code": "E05000970"}})
    not_json = b"{this is not json"
    personal = encode(make_council_asb(data={"caller_name": "Jane Smith"}))
    with running_worker(settings, tmp_path) as worker:
        produce(
            settings,
            topics.raw(Source.POLICE).name,
            [(key_of(burglary), encode(burglary)), (b"k1", not_json)],
        )
        produce(
            settings,
            topics.raw(Source.COUNCIL).name,
            [(key_of(asb), encode(asb)), (b"k2", personal)],
        )
        produce(settings, topics.raw(Source.FIRE).name, [(key_of(fire), encode(fire))])
        expected = {
            count_cell("police", "E05000956", "burglary"): 1,
            count_cell("council", "E05000956", "asb-nuisance"): 1,
            count_cell("fire", "E05000970", "secondary-fire"): 1,
        }
        wait_for(lambda: _counts(redis_client, settings) == expected, 60, "counts", worker.log_path)
        dead = [
            DeadLetter.model_validate_json(v)
            for v in read_topic(settings, topics.deadletter.name, 2)
        ]
        metrics = _get(settings, "/metrics")
        ready = _get(settings, "/ready")
    assert ready == (200, '{"ready":true}')
    assert not list(Path.cwd().glob(f"{settings.consumer_group}-data")), "faust data in the cwd"
    assert (settings.state_dir / "faust" / settings.consumer_group).is_dir()
    counted = 'safer_events_total{outcome="counted",source="police",stage="count_incidents"} 1.0'
    assert counted in metrics[1]
    assert 'safer_dead_letters_total{reason="not-json",source="police"} 1.0' in metrics[1]
    assert "safer_processing_latency_seconds_count" in metrics[1]
    assert sorted(d.original_value for d in dead) == sorted([not_json, personal])
    by_value = {d.original_value: d for d in dead}
    assert by_value[not_json].reason.value == "not-json"
    assert by_value[personal].reason.value == "invalid"
    assert "caller_name" in by_value[personal].detail
    assert by_value[personal].topic == topics.raw(Source.COUNCIL).name
    canonical = read_topic(settings, topics.incidents.name, 3)
    assert sorted(json.loads(v)["record_key"] for v in canonical) == sorted(
        e["record_key"] for e in (burglary, asb, fire)
    )
    snapshot = StoreReader.of(redis_client, settings).live_snapshot()
    assert snapshot.deadletters == {
        f"not-json|{topics.raw(Source.POLICE).name}": 1,
        f"invalid|{topics.raw(Source.COUNCIL).name}": 1,
    }
    assert len(snapshot.latest) == 3


def test_duplicates_corrections_and_cancellations(
    settings: Settings, redis_client: Redis, tmp_path: Path
):
    """A redelivery counts once, a correction moves the count, a stale version changes nothing."""
    topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
    first = make_police_incident()
    moved = {
        **first,
        "id": "correction-1",
        "version": 2,
        "data": {
            **first["data"],
            "category": "robbery",
            "location": {
                **first["data"]["location"],
                "ward_code": "E05000960",
                "lsoa_code": "E01007164",  # an LSOA of that ward (the LSOA's ward wins)
            },
        },
    }
    other = make_police_incident()
    cancelled = {**other, "id": "cancel-0001", "version": 2, "status": "cancelled"}
    messages = [first, first, moved, first, other, cancelled, other]
    with running_worker(settings, tmp_path) as worker:
        produce(settings, topic, [(key_of(m), encode(m)) for m in messages])
        expected = {count_cell("police", "E05000960", "robbery"): 1}
        wait_for(
            lambda: _counts(redis_client, settings) == expected,
            60,
            "corrected counts",
            worker.log_path,
        )
        wait_for(
            lambda: (
                StoreReader.of(redis_client, settings)
                .live_snapshot()
                .outcomes.get("validated|police")
                == 7
            ),
            30,
            "outcomes",
            worker.log_path,
        )
        outcomes = StoreReader.of(redis_client, settings).live_snapshot().outcomes
    assert _counts(redis_client, settings) == expected
    stage = ("counted", "corrected", "cancelled", "duplicate", "stale")
    assert sum(outcomes.get(f"{o}|police", 0) for o in stage) == len(messages)
    assert outcomes.get("cancelled|police") == 1
    incidents = Topics(settings.topic_prefix).incidents.name
    canonical = read_records(settings, incidents, len(messages))
    assert len(canonical) == len(messages)
    partitions = {(m.key, m.partition) for m in canonical}
    assert partitions == {(key, partition_for(key, settings.partitions)) for key, _ in partitions}
    assert len({key for key, _ in partitions}) == 2, "every version of a record in one partition"
