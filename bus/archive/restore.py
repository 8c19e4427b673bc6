"""Restore the archive into a fresh, empty broker: same topics, partitions and offsets, and
the consumer groups' positions.

Every partition is replayed in order from its first offset as large record batches (few
batches keep the embedded broker's per-fetch listing short), each batch's base offset
checked against the archive: a fresh partition numbers records from 0 with no gaps, as the
original did, so the offsets come back identical and subscribers' resume positions stay
valid. Original timestamps, keys and headers are kept. Group offsets are restored as
snapshotted, but never past the restored end of their partition (a crash can leave the
snapshot ahead of the archive).

After a roll (``cli.stack.roll``) the broker holds only each partition's tail: the records
before ``Catalog.broker_starts()`` are replaced by **placeholders** — records with no key and
no value and the header ``safer-placeholder`` — packed a hundred thousand to a gzip'd batch
(a few kilobytes), so offsets still run from 0 while the broker's memory and per-fetch
listing stay small. Nobody reads them: every consumer group is past them (a roll never
starts a partition beyond a group's committed offset), and readers from the beginning
(``safer rebuild``, ``safer tail``) take that prefix from the archive (``read_prefix``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

from bus.archive.catalog import Catalog, GroupOffsets, parse_tp, tp_name
from bus.archive.segments import ArchiveError, Record, read

BATCH_BYTES = 1024 * 1024
PLACEHOLDER = "safer-placeholder"
PLACEHOLDERS_PER_BATCH = 100_000
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
    starts = catalog.broker_starts()
    ends = asyncio.run(
        _replay(bootstrap, catalog, counts, starts, progress or (lambda _d, _t: None))
    )
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


def read_prefix(catalog: Catalog, topic: str, partition: int) -> Iterator[Record]:
    """The archived records a rolled broker holds only as placeholders (none if not rolled)."""
    start = catalog.broker_starts().get(tp_name(topic, partition), 0)
    for record in read(catalog.partition_folder(topic, partition)):
        if record.offset >= start:
            return
        yield record


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


def is_placeholder(headers: object) -> bool:
    """A record a roll put in place of one kept only in the archive."""
    return any(name == PLACEHOLDER for name, _ in headers or ())  # type: ignore[attr-defined]


def _producer(bootstrap: str, compression: str | None = None) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        max_batch_size=BATCH_BYTES,
        max_request_size=4 * BATCH_BYTES,
        compression_type=compression,
        client_id="safer-restore",
    )


async def _replay(
    bootstrap: str,
    catalog: Catalog,
    counts: dict[str, int],
    starts: dict[str, int],
    progress: Progress,
) -> dict[str, int]:
    producer, packed = _producer(bootstrap), _producer(bootstrap, "gzip")
    await producer.start()
    await packed.start()
    total, done = sum(counts.values()), [0]

    def advance(n: int) -> None:
        done[0] += n
        progress(done[0], total)

    try:
        progress(0, total)
        ends = await asyncio.gather(
            *(
                _replay_partition(producer, packed, catalog, tp, starts.get(tp, 0), advance)
                for tp in counts
            )
        )
    finally:
        await producer.stop()
        await packed.stop()
    return dict(zip(counts, ends, strict=True))


async def _placeholders(producer: AIOKafkaProducer, topic: str, partition: int, count: int) -> None:
    """Offsets 0 .. count - 1 as placeholders, in a few compressed batches."""
    first = 0
    while first < count:
        batch = producer.create_batch()
        n = 0
        while first + n < count and n < PLACEHOLDERS_PER_BATCH:
            if (
                batch.append(key=None, value=None, timestamp=None, headers=[(PLACEHOLDER, b"")])
                is None
            ):
                break
            n += 1
        await _send(producer, batch, topic, partition, first, n)
        first += n


async def _replay_partition(
    producer: AIOKafkaProducer,
    packed: AIOKafkaProducer,
    catalog: Catalog,
    tp: str,
    start: int,
    advance: Callable[[int], None],
) -> int:
    topic, partition = parse_tp(tp)
    if start:
        await _placeholders(packed, topic, partition, start)
        advance(start)
    expected = start
    batch, first = producer.create_batch(), start
    for record in read(catalog.partition_folder(topic, partition), start):
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
