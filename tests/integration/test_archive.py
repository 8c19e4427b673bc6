"""The local log archive on real brokers: what the archiver wrote, a fresh broker gets back
with the same partitions, offsets, timestamps, keys, headers and consumer-group positions."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

from bus.archive.archiver import Archiver, ArchiverOptions, group_offsets
from bus.archive.catalog import Catalog, tp_name
from bus.archive.restore import restore
from cli.stack import embedded
from cli.stack.procs import free_port

Seen = dict[int, list[tuple[int, int, bytes | None, bytes | None, tuple[tuple[str, bytes], ...]]]]


@pytest.fixture
def brokers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty Tansu brokers of this test only: the original log and the restored one."""
    started = [embedded.broker(free_port(), tmp_path / str(i)) for i in range(2)]
    for broker in started:
        broker.component.log_path.parent.mkdir(parents=True, exist_ok=True)
        broker.component.start()
    try:
        for broker in started:
            embedded.wait_broker_ready(broker.bootstrap)
        yield started[0].bootstrap, started[1].bootstrap
    finally:
        for broker in started:
            broker.component.stop(5)


async def _produce(bootstrap: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
    await producer.start()
    try:
        for i in range(n):
            await producer.send(
                topic,
                f"value-{i}".encode(),
                key=None if i % 5 == 0 else f"k{i % 7}".encode(),
                partition=i % 3,
                timestamp_ms=1_700_000_000_000 + i,
                headers=[("source", b"police")] if i % 2 else [],
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str, expected: int) -> Seen:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100
    )
    await consumer.start()
    seen: Seen = {}
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        for _ in range(100):
            for tp, messages in (await consumer.getmany(timeout_ms=200)).items():
                seen.setdefault(tp.partition, []).extend(
                    (m.offset, m.timestamp, m.key, m.value, tuple(m.headers)) for m in messages
                )
            if sum(len(v) for v in seen.values()) >= expected:
                break
    finally:
        await consumer.stop()
    return seen


async def _commit(bootstrap: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    from aiokafka.structs import OffsetAndMetadata

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        tps = {TopicPartition(topic, p): OffsetAndMetadata(o, "") for p, o in offsets.items()}
        consumer.assign(list(tps))
        await consumer.commit(tps)
    finally:
        await consumer.stop()


def _archive_until(bootstrap: str, catalog: Catalog, done: threading.Event) -> Archiver:
    archiver = Archiver(bootstrap, catalog, ArchiverOptions(groups_every_s=0.2, topics_every_s=0.2))

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(archiver.run(stop))
        await asyncio.to_thread(done.wait)
        stop.set()
        await task

    thread = threading.Thread(target=lambda: asyncio.run(main()))
    thread.start()
    archiver.thread = thread  # type: ignore[attr-defined]
    return archiver


def test_archive_then_restore_into_a_fresh_broker_gives_the_same_log(
    tmp_path: Path, brokers: tuple[str, str]
) -> None:
    """Records, offsets, timestamps, keys, headers, topic configs and group offsets survive."""
    bootstrap, fresh = brokers
    topic, compacted = "safer.events", "safer.latest"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics(
        [
            NewTopic(topic, 3, 1),
            NewTopic(compacted, 1, 1, topic_configs={"cleanup.policy": "compact"}),
        ]
    )
    admin.close()
    catalog = Catalog(tmp_path / "log")
    done = threading.Event()
    archiver = _archive_until(bootstrap, catalog, done)
    asyncio.run(_produce(bootstrap, topic, 300))
    asyncio.run(_commit(bootstrap, "subscriber", topic, {0: 40, 1: 100, 2: 7}))
    original = asyncio.run(_read_all(bootstrap, topic, 300))
    _wait(lambda: catalog.positions().get(tp_name(topic, 2), 0) >= 100, "archived")
    _wait(lambda: "subscriber" in catalog.groups(), "group snapshot")
    done.set()
    archiver.thread.join(30)  # type: ignore[attr-defined]
    ends = {tp_name(topic, p): 100 for p in range(3)} | {tp_name(compacted, 0): 0}
    assert catalog.clean_ends() == ends

    report = restore(fresh, catalog)
    assert (report.records, report.ends) == (300, ends)
    assert asyncio.run(_read_all(fresh, topic, 300)) == original
    admin = KafkaAdminClient(bootstrap_servers=fresh)
    restored_groups = group_offsets(admin)
    configs = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, compacted)], config_filter="all"
    )
    admin.close()
    assert restored_groups["subscriber"] == {
        tp_name(topic, 0): 40,
        tp_name(topic, 1): 100,
        tp_name(topic, 2): 7,
    }
    assert configs["topic"][compacted]["cleanup.policy"]["value"] == "compact"


def _wait(check: object, what: str, timeout_s: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_rolled_restore_holds_placeholders_before_each_start(
    tmp_path: Path, brokers: tuple[str, str]
) -> None:
    """After a roll the broker numbers records as before, the prefix as placeholders (no
    key, no value, the placeholder header) and the tail as the real records; the archive
    still gives the prefix."""
    from bus.archive.restore import PLACEHOLDER, is_placeholder, read_prefix

    bootstrap, fresh = brokers
    topic = "safer.events"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 3, 1)])
    admin.close()
    catalog = Catalog(tmp_path / "log")
    done = threading.Event()
    archiver = _archive_until(bootstrap, catalog, done)
    asyncio.run(_produce(bootstrap, topic, 300))
    original = asyncio.run(_read_all(bootstrap, topic, 300))
    _wait(lambda: catalog.positions().get(tp_name(topic, 2), 0) >= 100, "archived")
    done.set()
    archiver.thread.join(30)  # type: ignore[attr-defined]
    catalog.save_broker_starts(
        {tp_name(topic, 0): 60, tp_name(topic, 1): 0, tp_name(topic, 2): 100}
    )

    report = restore(fresh, catalog)
    assert report.ends == {tp_name(topic, p): 100 for p in range(3)}
    rolled = asyncio.run(_read_all(fresh, topic, 300))
    assert [m[0] for m in rolled[0]] == list(range(100))
    assert all(
        m[2] is None and m[3] is None and m[4] == ((PLACEHOLDER, b""),) for m in rolled[0][:60]
    )
    assert rolled[0][60:] == original[0][60:]
    assert rolled[1] == original[1]
    assert all(is_placeholder(m[4]) for m in rolled[2])
    prefix = [r.offset for r in read_prefix(catalog, topic, 0)]
    assert prefix == list(range(60))
    assert [r.value for r in read_prefix(catalog, topic, 2)] == [m[3] for m in original[2]]
