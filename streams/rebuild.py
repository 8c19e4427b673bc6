"""``safer rebuild``: every aggregate rebuilt from the canonical topic, beside the live one.

Kafka is the source of truth. The rebuild reads ``incidents.v1`` from the beginning with a
plain Kafka client (a bulk path; no consumer group, so nobody's offsets move) and applies
it with the very same writer and aggregation functions as the live worker, into a new
generation of keys. When it has caught up it swaps the generation pointer atomically; the
live worker's next batch, its keys named in the old generation, finds the swap inside its
own Lua call, writes nothing and is named and planned again in the new generation. A last
catch-up after the swap picks up what the worker applied to the old generation meanwhile,
and the old generation is deleted. The dashboard reads the live
generation throughout, so it stays up and correct.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.asyncio import Redis

from aggregates.inputs import Doc
from bus.archive.catalog import Catalog, parse_tp
from bus.archive.restore import read_prefix
from safer.runtime import tune_gc
from safer.settings import Settings
from schemas.topics import Topics
from store.keys import Keys
from store.writer import AggregateWriter, AheadApplier, Poison, writer_for
from streams.validation import is_unavailable

log = logging.getLogger(__name__)
DRAIN_WAIT_MS = 300  # an empty fetch this long means the log is drained
_REQUIRED = {"record_key", "version", "source", "type", "data"}
_REQUIRED_DATA = {"category", "occurred", "received_at"}
Progress = Callable[[int, int], None]  # (done, total)
_GIVE_BACK = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end"
"""The generation counter back by one, if it is still at the failed rebuild's number."""


@dataclass(frozen=True, slots=True)
class RebuildReport:
    generation: int
    previous: int
    events: int
    invalid: int  # unreadable on the canonical topic
    unaggregatable: int  # readable, but planning or applying it raised (written before bounds)


class Archived(NamedTuple):
    """A canonical record read from the log archive, shaped as the consumer's records."""

    value: bytes | None
    partition: int
    offset: int


class Rebuild:
    def __init__(
        self,
        settings: Settings,
        progress: Progress | None = None,
        partitions: Sequence[int] | None = None,
    ) -> None:
        self.settings = settings
        self.partitions = partitions
        self.keys = Keys(settings.redis_prefix)
        self.progress = progress or (lambda done, total: None)
        self.events = 0
        self.invalid = 0
        self.unaggregatable = 0

    async def run(self) -> RebuildReport:
        redis: Redis = Redis.from_url(self.settings.require_redis())
        consumer: AIOKafkaConsumer | None = None
        try:
            writer = writer_for(redis, self.settings)
            previous, generation = await self._new_generation(redis)
            try:
                # the sole writer of the new generation until live
                ahead = writer.ahead(generation, is_unavailable)
                starts = await self.replay_archive(writer, generation, ahead)
                consumer = await self._consumer(starts)
                await self._catch_up(consumer, writer, generation, ahead=ahead)
                await self._catch_up(consumer, writer, generation, ahead=ahead)
            except BaseException:
                await self._give_back(redis, generation)
                raise
            await redis.set(self.keys.generation_pointer, generation)
            log.info("generation swapped", extra={"generation": generation, "previous": previous})
            await self._catch_up(consumer, writer, generation)
            await self._drop_generations(redis, keep=generation)
            return RebuildReport(
                generation, previous, self.events, self.invalid, self.unaggregatable
            )
        finally:
            if consumer is not None:
                await consumer.stop()
            await redis.aclose()

    async def replay_archive(
        self, writer: AggregateWriter, generation: int, ahead: AheadApplier | None
    ) -> dict[int, int]:
        """After a broker roll the broker holds placeholders where the canonical topic's
        oldest records were (``bus.archive.restore``): apply those from the log archive.
        Returns, per partition read so, the offset the broker takes over from."""
        if self.settings.log_archive is None:
            return {}
        catalog = Catalog(self.settings.log_archive)
        topic = Topics(self.settings.topic_prefix).incidents.name
        starts: dict[int, int] = {}
        for tp, start in catalog.broker_starts().items():
            name, partition = parse_tp(tp)
            if name != topic or not start:
                continue
            if self.partitions is not None and partition not in self.partitions:
                continue
            chunk: list[Archived] = []
            for record in read_prefix(catalog, topic, partition):
                chunk.append(Archived(record.value, partition, record.offset))
                if len(chunk) >= self.settings.rebuild_chunk_events:
                    await self._apply_records(chunk, writer, generation, ahead)
                    chunk = []
            await self._apply_records(chunk, writer, generation, ahead)
            starts[partition] = start
        if ahead:
            await ahead.flush()
        return starts

    async def _consumer(self, starts: dict[int, int] | None = None) -> AIOKafkaConsumer:
        """A group-less aiokafka consumer on the canonical topic's partitions (all, or this
        rebuild's share), from ``starts`` or the beginning (aiokafka parses record batches
        in C: the bulk read is not the bottleneck)."""
        topic = Topics(self.settings.topic_prefix).incidents.name
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.require_kafka(),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=100,
            max_partition_fetch_bytes=4 * 1024 * 1024,  # per partition; bounds the read-ahead
            client_id="safer-rebuild",
        )
        await consumer.start()
        await consumer.topics()  # loads metadata for every topic
        numbers = (
            self.partitions
            if self.partitions is not None
            else sorted(consumer.partitions_for_topic(topic) or ())
        )
        partitions = [TopicPartition(topic, p) for p in numbers]
        consumer.assign(partitions)
        for tp in partitions:
            if starts and tp.partition in starts:
                consumer.seek(tp, starts[tp.partition])
            else:
                await consumer.seek_to_beginning(tp)
        return consumer

    async def _new_generation(self, redis: Redis) -> tuple[int, int]:
        live = int(await redis.get(self.keys.generation_pointer) or 0)
        generation = int(await redis.incr(self.keys.generation_counter))
        if generation <= live:
            generation = live + 1
            await redis.set(self.keys.generation_counter, generation)
        await self._drop_generations(redis, keep=live)
        return live, generation

    async def _give_back(self, redis: Redis, generation: int) -> None:
        """A rebuild that failed before its swap: its keys go and its number is free again
        (unless another rebuild has taken a number since)."""
        counter = self.keys.generation_counter
        await redis.eval(_GIVE_BACK, 1, counter, str(generation), str(generation - 1))
        live = int(await redis.get(self.keys.generation_pointer) or 0)
        await self._drop_generations(redis, keep=live)
        log.warning("rebuild failed: its generation given back", extra={"generation": generation})

    async def _catch_up(
        self,
        consumer: AIOKafkaConsumer,
        writer: AggregateWriter,
        generation: int,
        targets: dict[TopicPartition, int] | None = None,
        ahead: AheadApplier | None = None,
    ) -> None:
        """Apply everything up to ``targets`` (default: the end offsets as they are now), then
        go on until a fetch comes back empty: the embedded broker reports end offsets short
        of the true end (the start of the last record batch), so they are a lower bound.
        ``ahead``: plan each chunk while the previous one is applied (before the swap only)."""
        assigned = list(consumer.assignment())
        if not assigned:
            return
        targets = targets or await consumer.end_offsets(assigned)
        total = sum(targets.values())
        positions = {tp: await consumer.position(tp) for tp in assigned}
        while any(positions[tp] < end for tp, end in targets.items()):
            await self._apply_fetch(consumer, writer, generation, 1000, ahead)
            positions = {tp: await consumer.position(tp) for tp in assigned}
            self.progress(sum(positions.values()), max(total, sum(positions.values())))
        while await self._apply_fetch(consumer, writer, generation, DRAIN_WAIT_MS, ahead):
            pass
        if ahead:
            await ahead.flush()

    async def _apply_fetch(
        self,
        consumer: AIOKafkaConsumer,
        writer: AggregateWriter,
        generation: int,
        timeout_ms: int,
        ahead: AheadApplier | None = None,
    ) -> int:
        """Apply up to ``SAFER_REBUILD_CHUNK_EVENTS`` fetched records at once (whatever the
        first fetch brings, then what is already buffered); returns how many records it held.
        A big chunk is what makes a bulk rebuild cheap: its events' deltas to day, month and
        all-time totals merge in memory, so Redis sees each field once per chunk, not once per
        event."""
        docs: list[Doc] = []
        fetched = 0
        chunk = self.settings.rebuild_chunk_events
        while fetched < chunk:
            batch = await consumer.getmany(
                timeout_ms=0 if fetched else timeout_ms, max_records=chunk - fetched
            )
            got = sum(len(records) for records in batch.values())
            if not got:
                break
            fetched += got
            docs += [doc for records in batch.values() for doc in self._decode(records)]
        await self._apply_docs(docs, writer, generation, ahead)
        self.events += fetched
        return fetched

    async def _apply_records(
        self,
        records: list[Archived],
        writer: AggregateWriter,
        generation: int,
        ahead: AheadApplier | None,
    ) -> None:
        await self._apply_docs(self._decode(records), writer, generation, ahead)
        self.events += len(records)

    async def _apply_docs(
        self, docs: list[Doc], writer: AggregateWriter, generation: int, ahead: AheadApplier | None
    ) -> None:
        if docs and ahead:
            skipped = len(ahead.poison)
            await ahead.add(docs)
            self._skipped(ahead.poison[skipped:])
        elif docs:
            applied = await writer.apply_isolating(docs, is_unavailable, generation=generation)
            self._skipped(applied.poison)

    def _skipped(self, poison: list[Poison]) -> None:
        """Events on the canonical topic the engine cannot aggregate: counted, logged, never a
        crash (the worker dead-lettered each when it met it)."""
        self.unaggregatable += len(poison)
        for p in poison:
            log.warning(
                "unaggregatable event on the canonical topic skipped by rebuild",
                extra={"record_key": p.doc.get("record_key"), "error": type(p.error).__name__},
            )

    def _decode(self, records: list[Any]) -> list[Doc]:
        """Canonical JSON as the worker wrote it (validated then; a bulk path needs no second
        validation, only the fields aggregation reads — anything else is skipped and counted)."""
        docs = []
        for record in records:
            try:
                doc = orjson.loads(record.value)
                if not doc.keys() >= _REQUIRED or not doc["data"].keys() >= _REQUIRED_DATA:
                    raise ValueError("missing fields")
                if type(doc["version"]) is not int or not isinstance(doc["record_key"], str):
                    raise TypeError("version or record_key of the wrong type")
            except (ValueError, TypeError, AttributeError):
                self.invalid += 1
                log.warning(
                    "unreadable event on the canonical topic skipped by rebuild",
                    extra={"partition": record.partition, "offset": record.offset},
                )
                continue
            docs.append(doc)
        return docs

    async def _drop_generations(self, redis: Redis, keep: int) -> None:
        """Delete every generation's keys except ``keep`` (and anything newer in use)."""
        live = int(await redis.get(self.keys.generation_pointer) or 0)
        stale: list[bytes] = []
        async for key in redis.scan_iter(match=self.keys.generations, count=2000):
            generation = self.keys.generation_of(key)
            if generation is not None and generation not in (keep, live):
                stale.append(key)
            if len(stale) >= 1000:
                await redis.unlink(*stale)
                stale.clear()
        if stale:
            await redis.unlink(*stale)


PARALLEL_FROM_EVENTS = 50_000


def run_rebuild(
    settings: Settings, progress: Progress | None = None, processes: int | None = None
) -> RebuildReport:
    """Rebuild in this process, or split by partition over ``processes`` processes, this one
    and ``processes - 1`` children (records are partitioned by key, so each record is
    rebuilt by one process; hash increments commute). Phases as in ``Rebuild.run``: catch
    up twice, swap, catch up once more.
    ``None``: one process below 50,000 events, else one per core (at most one per partition).
    """
    tune_gc()
    if processes is None:
        ends = asyncio.run(_end_offsets(Rebuild(settings)))
        big = sum(ends.values()) >= PARALLEL_FROM_EVENTS
        processes = min(os.cpu_count() or 1, len(ends)) if big else 1
    if processes <= 1:
        return asyncio.run(Rebuild(settings, progress).run())
    return asyncio.run(_run_parallel(settings, progress, processes))


async def _run_parallel(
    settings: Settings, progress: Progress | None, processes: int
) -> RebuildReport:
    coordinator = Rebuild(settings, progress)
    redis: Redis = Redis.from_url(settings.require_redis())
    try:
        previous, generation = await coordinator._new_generation(redis)
        partitions = await _end_offsets(coordinator)
        shares = [sorted(partitions)[i::processes] for i in range(processes)]
        groups = [share for share in shares if share]
        starts: dict[int, int] = {}
        try:
            await _phases(settings, coordinator, generation, redis, groups, starts)
        except BaseException:
            live = int(await redis.get(coordinator.keys.generation_pointer) or 0)
            if live != generation:  # failed before its swap
                await coordinator._give_back(redis, generation)
            raise
        await coordinator._drop_generations(redis, keep=generation)
        return RebuildReport(
            generation,
            previous,
            coordinator.events,
            coordinator.invalid,
            coordinator.unaggregatable,
        )
    finally:
        await redis.aclose()


async def _phases(
    settings: Settings,
    coordinator: Rebuild,
    generation: int,
    redis: Redis,
    groups: list[list[int]],
    starts: dict[int, int],
) -> None:
    """Catch up twice, swap, catch up once more: each phase over every share at once."""
    own, *others = groups  # this process rebuilds the first share itself
    # (no other share: more processes asked for than partitions; the pool stays idle)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, len(others)), mp_context=context) as pool:
        for phase in range(3):
            if phase == 2:
                await redis.set(coordinator.keys.generation_pointer, generation)
            targets = await _end_offsets(coordinator)
            jobs = [
                asyncio.wrap_future(
                    pool.submit(
                        _rebuild_share,
                        _portable(settings),
                        generation,
                        phase < 2,
                        *_share_args(g, starts, targets),
                    )
                )
                for g in others
            ]
            mine = _share(settings, generation, phase < 2, *_share_args(own, starts, targets))
            results = await asyncio.gather(mine, *jobs)
            for positions, events, invalid, unaggregatable in results:
                starts.update(positions)
                coordinator.events += events
                coordinator.invalid += invalid
                coordinator.unaggregatable += unaggregatable
            coordinator.progress(sum(starts.values()), sum(targets.values()))


async def _end_offsets(rebuild: Rebuild) -> dict[int, int]:
    consumer = await rebuild._consumer()
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


def _share_args(
    group: list[int], starts: dict[int, int], targets: dict[int, int]
) -> tuple[list[int], dict[int, int], dict[int, int]]:
    """A share's partitions, where each starts and the end offsets to reach."""
    return group, {p: starts[p] for p in group if p in starts}, {p: targets[p] for p in group}


def _portable(settings: Settings) -> dict[str, Any]:
    values = settings.model_dump(mode="json")
    values["pseudonym_key"] = settings.pseudonym_key.get_secret_value()
    return values


def _rebuild_share(
    values: dict[str, Any],
    generation: int,
    before_swap: bool,
    partitions: list[int],
    starts: dict[int, int],
    targets: dict[int, int],
) -> tuple[dict[int, int], int, int, int]:
    """In a child process: apply ``partitions`` from ``starts`` up to ``targets``."""
    tune_gc()
    return asyncio.run(
        _share(Settings(**values), generation, before_swap, partitions, starts, targets)
    )


async def _share(
    settings: Settings,
    generation: int,
    before_swap: bool,
    partitions: list[int],
    starts: dict[int, int],
    targets: dict[int, int],
) -> tuple[dict[int, int], int, int, int]:
    """Apply ``partitions`` from ``starts`` up to ``targets`` (planning ahead before the
    generation swap, while this process is the only writer of its records there)."""
    rebuild = Rebuild(settings, partitions=partitions)
    redis: Redis = Redis.from_url(settings.require_redis())
    writer = writer_for(redis, settings)
    ahead = writer.ahead(generation, is_unavailable) if before_swap else None
    if not starts:  # the first phase: a rolled broker's prefix comes from the archive
        starts = await rebuild.replay_archive(writer, generation, ahead)
    consumer = await rebuild._consumer(starts)
    try:
        goal = {tp: targets[tp.partition] for tp in consumer.assignment()}
        await rebuild._catch_up(consumer, writer, generation, goal, ahead)
        positions = {tp.partition: await consumer.position(tp) for tp in consumer.assignment()}
        return positions, rebuild.events, rebuild.invalid, rebuild.unaggregatable
    finally:
        await consumer.stop()
        await redis.aclose()
