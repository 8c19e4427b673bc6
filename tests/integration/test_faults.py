"""Injected faults: a worker killed with SIGKILL mid-stream, and Redis going away mid-stream.
Neither may lose an event or count one twice (at-least-once delivery, idempotent effects)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis

from cli.stack import embedded
from cli.stack.procs import Component, free_port
from feeds.publish.publisher import RawPublisher
from feeds.raw import RawMessage
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.settings import Settings
from schemas.deadletter import DeadLetter
from schemas.topics import Topics
from store.reader import StoreReader
from tests.builders import count_cell
from tests.integration.test_end_to_end import expected_counts
from tests.integration.worker import counter_difference, read_topic, running_worker, wait_for


def _traffic(n: int, seed: int) -> list[RawMessage]:
    simulator = Simulator(load_areas(), seed=seed)
    return simulator.messages(n, datetime.now(UTC), window=timedelta(hours=2))


def _publish(settings: Settings, messages: list[RawMessage]) -> None:
    with RawPublisher(settings.require_kafka(), Topics(settings.topic_prefix)) as publisher:
        publisher.publish(messages)
        publisher.flush()
        assert publisher.failed == 0


def _cells(reader: StoreReader) -> Counter[str]:
    return Counter({count_cell(r.source, r.area, r.category): r.count for r in reader.counts()})


def _validated(reader: StoreReader) -> int:
    outcomes = reader.live_snapshot(latest=1).outcomes
    return sum(n for key, n in outcomes.items() if key.startswith("validated|"))


def _keep_alive(worker: Component) -> None:
    """What a supervisor does: start the worker again if it has exited."""
    if not worker.alive():
        worker.start()


def test_sigkill_mid_stream_neither_loses_nor_double_counts(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """SIGKILL the worker while it is counting; after a restart every count is exact."""
    messages = _traffic(4000, seed=7)
    malformed = [m.value for m in messages if m.label == "malformed"]
    reader = StoreReader.of(redis_client, settings)
    with running_worker(settings, tmp_path) as worker:
        _publish(settings, messages)
        wait_for(lambda: _validated(reader) >= 300, 60, "first batches", worker.log_path)
        assert worker.pid is not None
        os.killpg(worker.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)  # type: ignore[union-attr]
        killed_at = _validated(reader)
        assert killed_at < len(messages) - len(malformed), "the kill came too late to prove a thing"
        worker.start()
        expected = expected_counts(messages)
        wait_for(
            lambda: _cells(reader) == expected,
            120,
            "exact counts",
            worker.log_path,
            lambda: counter_difference(_cells(reader), expected),
        )
        wait_for(lambda: _validated(reader) == len(messages) - len(malformed), 30, "outcomes")
        dead = read_topic(settings, Topics(settings.topic_prefix).deadletter.name, len(malformed))
    assert {DeadLetter.model_validate_json(v).original_value for v in dead} == set(malformed)
    assert sum(reader.live_snapshot().deadletters.values()) == len(malformed)


def test_redis_outage_mid_stream_neither_loses_nor_double_counts(
    settings: Settings, tmp_path: Path
) -> None:
    """Redis stops while events keep arriving; once it is back every count is exact."""
    port = free_port()
    data = tmp_path / "redis-data"

    def redis_server() -> Component:
        component, _ = embedded.redis(port, data, tmp_path, persist=True)
        component.argv = [*component.argv, "--appendonly", "yes", "--appendfsync", "always"]
        component.start()
        embedded.wait_redis_ready(url)
        return component

    url = f"redis://127.0.0.1:{port}/0"
    settings = settings.model_copy(update={"redis_url": url})
    server = redis_server()
    client = Redis.from_url(url)
    reader = StoreReader.of(client, settings)
    first, second = _traffic(1500, seed=11), _traffic(1500, seed=12)
    try:
        with running_worker(settings, tmp_path) as worker:
            _publish(settings, first)
            expected = expected_counts(first)
            wait_for(lambda: _cells(reader) == expected, 60, "first counts", worker.log_path)
            server.stop(10)
            _publish(settings, second)
            time.sleep(3)  # the worker meets the outage
            server = redis_server()

            expected = expected_counts(first + second)

            def settled() -> bool:
                _keep_alive(worker)
                return _cells(reader) == expected

            def explain() -> str:
                return counter_difference(_cells(reader), expected)

            wait_for(settled, 120, "exact counts after the outage", worker.log_path, explain)
    finally:
        client.close()
        server.stop(10)
