"""Restore the archive into a fresh, empty broker: same topics, partitions and offsets, and
the consumer groups' positions.

Every partition is replayed in order from its first offset as large record batches (few
batches keep the embedded broker's per-fetch listing short), each batch's base offset
checked against the archive: a fresh partition numbers records from 0 with no gaps, as the
original did, so the offsets come back identical and subscribers' resume positions stay
valid. Original timestamps, keys and headers are kept. Group offsets are restored as
snapshotted, but never past the restored end of their partition (a crash can leave the
snapshot ahead of the archive).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

from bus.archive.catalog import Catalog, GroupOffsets, parse_tp, tp_name
from bus.archive.segments import ArchiveError, Record, read

BATCH_BYTES = 1024 * 1024
Progress = Callable[[int, int], None]  # (records restored, records in the archive)


@dataclass(frozen=True, slots=True)
class RestoreReport:
    topics: int
    partitions: int
    records: int
    seconds: float
    ends: dict[str, int] = field(default_factory=dict)
    groups: GroupOffsets = field(default_factory=dict)


def restore(bootstrap: str, catalog: Catalog, progress: Progress | None = None) -> RestoreReport:
    """Replay the archive into the broker at ``bootstrap`` (whose topics must be empty)."""
    started = time.monotonic()
    shapes = catalog.topics()
    _create_topics(bootstrap, catalog)
    counts = {
        tp_name(topic, p): _count(catalog, topic, p)
        for topic, shape in shapes.items()
        for p in range(shape.partitions)
    }
    ends = asyncio.run(_replay(bootstrap, catalog, counts, progress or (lambda _d, _t: None)))
    groups = clamp_groups(catalog.groups(), ends)
    _commit_groups(bootstrap, groups)
    return RestoreReport(
        len(shapes), len(ends), sum(ends.values()), time.monotonic() - started, ends, groups
    )


def clamp_groups(groups: GroupOffsets, ends: dict[str, int]) -> GroupOffsets:
    """Each group's offsets within the restored log (partitions it no longer has dropped)."""
    return {
        group: {tp: min(offset, ends[tp]) for tp, offset in offsets.items() if tp in ends}
        for group, offsets in groups.items()
    }


def _count(catalog: Catalog, topic: str, partition: int) -> int:
    return sum(1 for _ in read(catalog.partition_folder(topic, partition)))


def _create_topics(bootstrap: str, catalog: Catalog) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="safer-restore")
    try:
        existing = set(admin.list_topics())
        for name, shape in catalog.topics().items():
            if name in existing:
                continue
            topic = NewTopic(name, shape.partitions, 1, topic_configs=dict(shape.configs))
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile: fine
                admin.create_topics([topic])
    finally:
        admin.close()


async def _replay(
    bootstrap: str, catalog: Catalog, counts: dict[str, int], progress: Progress
) -> dict[str, int]:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        max_batch_size=BATCH_BYTES,
        max_request_size=4 * BATCH_BYTES,
        client_id="safer-restore",
    )
    await producer.start()
    total, done = sum(counts.values()), [0]

    def advance(n: int) -> None:
        done[0] += n
        progress(done[0], total)

    try:
        progress(0, total)
        ends = await asyncio.gather(
            *(_replay_partition(producer, catalog, tp, advance) for tp in counts)
        )
    finally:
        await producer.stop()
    return dict(zip(counts, ends, strict=True))


async def _replay_partition(
    producer: AIOKafkaProducer, catalog: Catalog, tp: str, advance: Callable[[int], None]
) -> int:
    topic, partition = parse_tp(tp)
    expected = 0
    batch, first = producer.create_batch(), 0
    for record in read(catalog.partition_folder(topic, partition)):
        if record.offset != expected:
            raise ArchiveError(f"{tp}: archive has offset {record.offset} where {expected} is due")
        if not _append(batch, record):
            await _send(producer, batch, topic, partition, first, expected - first)
            advance(expected - first)
            batch, first = producer.create_batch(), expected
            if not _append(batch, record):
                raise ArchiveError(f"{tp}: record at {record.offset} is larger than a batch")
        expected += 1
    if expected > first:
        await _send(producer, batch, topic, partition, first, expected - first)
        advance(expected - first)
    return expected


def _append(batch: object, record: Record) -> bool:
    headers = [(name, value or b"") for name, value in record.headers]
    appended = batch.append(  # type: ignore[attr-defined]  # aiokafka's BatchBuilder
        key=record.key, value=record.value, timestamp=record.timestamp, headers=headers
    )
    return appended is not None


async def _send(
    producer: AIOKafkaProducer, batch: object, topic: str, partition: int, first: int, n: int
) -> None:
    batch.close()  # type: ignore[attr-defined]
    delivered = await (await producer.send_batch(batch, topic, partition=partition))
    if delivered.offset != first:
        raise ArchiveError(
            f"{topic}|{partition}: the broker placed {n} restored records at offset "
            f"{delivered.offset}, not {first}: it was not empty"
        )


def _commit_groups(bootstrap: str, groups: GroupOffsets) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="safer-restore")
    try:
        for group, offsets in groups.items():
            if not offsets:
                continue
            admin.alter_group_offsets(
                group,
                {
                    TopicPartition(*parse_tp(tp)): OffsetAndMetadata(o, "", -1)
                    for tp, o in offsets.items()
                },
            )
    finally:
        admin.close()
