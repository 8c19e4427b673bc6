"""One rebuild pass (``Rebuild``) over the canonical topic's partitions, all of them or one
process's share: a new generation of keys, catch-up, the generation swap, the old generation
dropped (the whole method is described in ``streams.rebuild``). After a broker roll, the
partitions' oldest records are read from the log archive first (``replay_archive``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.asyncio import Redis

from aggregates.inputs import Doc
from bus.archive.catalog import Catalog, parse_tp
from bus.archive.restore import read_prefix
from operations.registry import Registry
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
        # the operations the new generation counts, before any of its records
        snapshot = Registry(self.settings.state_dir).snapshot()
        if snapshot.versions:  # none: no key, as a generation the worker started has none
            await redis.set(self.keys.operations(generation), snapshot.encode())
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
        drain: the embedded broker reports end offsets short of the true end (the start of
        the last record batch), so they are a lower bound, and a partition is done once a
        record past its end offset (read when the drain starts) was applied — the whole
        last batch with it, what the fetcher holds of it included — or a fetch of it comes
        back empty. Under live traffic the log never goes quiet, so waiting for an empty
        fetch alone would never end (it did: a back-fill with the simulator running never
        finished). ``ahead``: plan each chunk while the previous one is applied (before the
        swap only)."""
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
        goal = await consumer.end_offsets(assigned)
        draining = [tp for tp in assigned if positions[tp] <= goal[tp]]
        while draining:
            got = await self._apply_fetch(
                consumer, writer, generation, DRAIN_WAIT_MS, ahead, draining
            )
            positions = {tp: await consumer.position(tp) for tp in assigned}
            self.progress(sum(positions.values()), max(total, sum(positions.values())))
            if not got:
                break  # every partition still draining is at its end
            draining = [tp for tp in draining if positions[tp] <= goal[tp]]
        await self._apply_fetch(consumer, writer, generation, 0, ahead)  # the rest it holds
        if ahead:
            await ahead.flush()

    async def _apply_fetch(
        self,
        consumer: AIOKafkaConsumer,
        writer: AggregateWriter,
        generation: int,
        timeout_ms: int,
        ahead: AheadApplier | None = None,
        partitions: list[TopicPartition] | None = None,
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
                *(partitions or ()),
                timeout_ms=0 if fetched else timeout_ms,
                max_records=chunk - fetched,
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
