"""`safer rebuild`: rebuilt aggregates equal the live ones key by key, and a rebuild beside
a running worker under traffic keeps the live view up and ends exact, also when the
traffic never pauses."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from redis import Redis

from bus.admin import ensure_topics
from feeds.publish.publisher import RawPublisher
from feeds.raw import RawMessage
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.settings import Settings, child_env
from schemas.topics import Topics
from store.keys import Keys
from store.reader import StoreReader
from streams.rebuild import Rebuild, run_rebuild
from tests.builders import count_cell, encode, make_police_incident
from tests.conftest import Infra, isolated_settings, new_namespace
from tests.data_files import WIRRAL
from tests.integration.test_end_to_end import expected_counts
from tests.integration.worker import running_worker, wait_for


def _traffic(n: int, seed: int) -> list[RawMessage]:
    return Simulator(load_areas(), seed=seed).messages(
        n, datetime.now(UTC), window=timedelta(days=3)
    )


def _publish(settings: Settings, messages: list[RawMessage]) -> None:
    with RawPublisher(settings.require_kafka(), Topics(settings.topic_prefix)) as publisher:
        publisher.publish(messages)
        publisher.flush()


def _cells(reader: StoreReader) -> dict[str, int]:
    return {count_cell(r.source, r.area, r.category): r.count for r in reader.counts()}


def generation_dump(redis: Redis, keys: Keys) -> tuple[int, dict[str, Any]]:
    """Every derived key of the live generation (prefix stripped) with its value."""
    generation = int(redis.get(keys.generation_pointer) or 0)
    base = keys.generation(generation)
    dump: dict[str, Any] = {}
    for raw in redis.scan_iter(match=f"{base}*", count=2000):
        key = raw.decode()
        kind = redis.type(key)
        if kind == b"hash":
            value: Any = redis.hgetall(key)
        elif kind == b"zset":
            value = redis.zrange(key, 0, -1, withscores=True)
        elif kind == b"set":
            value = redis.smembers(key)
        else:
            value = redis.get(key)
        dump[key[len(base) :]] = value
    return generation, dump


def test_rebuild_equals_live_aggregates_key_by_key(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """After `safer rebuild` (two processes sharing the partitions, each planning a chunk
    while Redis applies the previous one; chunks of 200 events, so corrections and repeats
    span chunks), every aggregate and record state is byte-identical to live."""
    messages = _traffic(3000, seed=31)
    keys = Keys(settings.redis_prefix)
    reader = StoreReader(redis_client, keys, [WIRRAL])
    with running_worker(settings, tmp_path) as worker:
        _publish(settings, messages)
        expected = expected_counts(messages)
        wait_for(lambda: _cells(reader) == expected, 120, "live counts", worker.log_path)
    live_generation, live = generation_dump(redis_client, keys)
    assert len(live) > 1000
    result = subprocess.run(
        [sys.executable, "-m", "cli", "rebuild", "--processes", "2"],
        env=child_env(settings.model_copy(update={"rebuild_chunk_events": 200})),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    validated = sum(
        n for k, n in reader.live_snapshot().outcomes.items() if k.startswith("validated|")
    )
    assert f"from {validated} events" in result.stdout, "every canonical event was read"
    rebuilt_generation, rebuilt = generation_dump(redis_client, keys)
    assert rebuilt_generation == live_generation + 1
    assert rebuilt.keys() == live.keys()
    assert rebuilt == live
    leftovers = list(redis_client.scan_iter(match=f"{keys.generation(live_generation)}*"))
    assert leftovers == [], "the old generation is deleted"


def test_rebuild_beside_running_worker_under_traffic(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """A rebuild while events keep arriving never blanks the live view and ends exact."""
    first, second = _traffic(2000, seed=41), _traffic(2000, seed=42)
    reader = StoreReader.of(redis_client, settings)
    with running_worker(settings, tmp_path) as worker:
        _publish(settings, first)
        wait_for(
            lambda: _cells(reader) == expected_counts(first), 120, "first counts", worker.log_path
        )
        rebuild = Rebuild(settings)
        done = threading.Event()

        def run_rebuild() -> None:
            asyncio.run(rebuild.run())
            done.set()

        thread = threading.Thread(target=run_rebuild)
        thread.start()
        _publish(settings, second)
        seen_empty = False
        while not done.is_set() and thread.is_alive():
            seen_empty = seen_empty or not reader.counts()
        thread.join(timeout=300)
        assert done.is_set(), "rebuild did not finish"
        expected = expected_counts(first + second)
        wait_for(
            lambda: _cells(reader) == expected, 120, "exact counts after rebuild", worker.log_path
        )
    assert not seen_empty, "the live view went blank during the rebuild"
    assert rebuild.events >= 2000


def test_rebuild_finishes_while_traffic_never_pauses(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """Events keep arriving every 20 ms for the whole rebuild (as with `safer up`'s
    simulator): the rebuild still ends (its drain once waited for a quiet log that never
    came, so a back-fill under the simulator never finished) and the counts are exact."""
    first = _traffic(1500, seed=43)
    steady = _traffic(3000, seed=44)
    reader = StoreReader.of(redis_client, settings)
    with running_worker(settings, tmp_path) as worker:
        _publish(settings, first)
        wait_for(
            lambda: _cells(reader) == expected_counts(first), 120, "first counts", worker.log_path
        )
        sent: list[RawMessage] = []
        stop = threading.Event()

        def trickle() -> None:
            with RawPublisher(settings.require_kafka(), Topics(settings.topic_prefix)) as out:
                for message in steady:
                    if stop.is_set():
                        break
                    out.publish([message])
                    out.flush()
                    sent.append(message)
                    stop.wait(0.02)

        publisher = threading.Thread(target=trickle)
        publisher.start()
        try:
            stop.wait(2)
            report = run_rebuild(settings, processes=1)
            finished_while_sending = publisher.is_alive()
        finally:
            stop.set()
            publisher.join(timeout=60)
        assert finished_while_sending, "the traffic ran out before the rebuild ended"
        assert report.events >= len(first)
        expected = expected_counts(first + sent)
        wait_for(
            lambda: _cells(reader) == expected, 120, "exact counts after rebuild", worker.log_path
        )


def test_more_processes_than_partitions(infra: Infra, tmp_path: Path) -> None:
    """`--processes 2` on a one-partition canonical topic: this process rebuilds it alone."""
    settings = isolated_settings(infra, new_namespace(), tmp_path, partitions=1)
    topics = Topics(settings.topic_prefix)
    ensure_topics(settings.require_kafka(), topics, 1)
    events = [make_police_incident(record_key=f"police:test:{i}") for i in range(5)]
    producer = KafkaProducer(bootstrap_servers=settings.require_kafka(), acks="all")
    for event in events:
        producer.send(topics.incidents.name, key=event["record_key"].encode(), value=encode(event))
    producer.flush()
    producer.close()
    report = run_rebuild(settings, processes=2)
    assert (report.events, report.invalid) == (5, 0)
    reader = StoreReader.of(Redis.from_url(settings.require_redis()), settings)
    assert reader.live_snapshot().total == 5
