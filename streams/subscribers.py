"""Job ``subscribers``: the canonical incident topic -> one filtered topic per subscriber
(``safer.sub.<name>.v1``), each under its sharing agreement (``sharing``).

Agreements are the TOML files in ``SAFER_AGREEMENTS`` (default ``<state_dir>/agreements``),
re-read every ``SAFER_AGREEMENTS_RELOAD_S``. Each records-level agreement gets a feed: an
aiokafka consumer of the canonical topic in a consumer group of its own, so a feed keeps
its own position, several workers share its partitions, and one subscriber's trouble never
holds up the counting or another subscriber.

**Rebuilt when the agreement changes.** A feed starts by comparing its agreement's
revision with the one its topic was written under (``sub:<name>:state`` in Redis). When
they differ — a new subscriber, a changed agreement, or state reset for a new log — one
worker (``sub:<name>:lock``) deletes and recreates the topic, forgets what was sent, and
bumps the feed's generation; the consumer group is named by that generation, so it starts
from the beginning of the canonical topic and the new topic holds exactly the new view.

**At least once, without repeats in normal running.** For each batch: what was sent
before is read (``sub:<name>:shared``: record -> version), the batch is planned
(``sharing.fanout.plan``: newer versions in scope, withdrawals, delays), the messages are
delivered, then what was sent and held is stored, then the offsets are committed. A crash
between delivery and commit sends that batch again — subscribers recognise a repeat by its
``id`` (``schemas.shared``). Messages held for an agreed delay live in ``sub:<name>:held``
and are sent when due. An aggregates-level agreement gets a ``CountFeed`` instead: the
aggregate change stream in, its disclosed counts of closed days out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.asyncio import Redis

from bus.admin import recreate_topic, topic_exists
from bus.produce import BatchSender
from geography.areas import Areas, load_areas
from safer.errors import ConfigError
from safer.settings import Settings
from schemas.shared import SharedCount
from schemas.topics import Topics
from sharing.agreements import Agreement, Level, load_agreements
from sharing.counts import Cell, agreed_change, closed_before, day_figures
from sharing.fanout import plan
from sharing.view import Scope, agreed_wards
from store.keys import Keys

if TYPE_CHECKING:
    import faust

log = logging.getLogger(__name__)
LOCK_S = 300
RELEASE_BATCH = 500


def register_subscribers(app: faust.App, settings: Settings) -> None:
    """Run the subscriber feeds for as long as the worker runs."""

    async def subscribers() -> None:
        await SubscriberFeeds(settings).run()

    app.task(subscribers)  # faust's decorators are untyped: applied as a call


class SubscriberFeeds:
    """Starts, replaces and stops one feed per agreement (``Feed`` for records, ``CountFeed``
    for aggregates) as the agreements folder changes; a feed that fails is logged and
    started again at the next look; a broken file stops only its own subscriber's feed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.areas = load_areas(settings.partnership)
        self.running: dict[str, tuple[str, asyncio.Task[None]]] = {}

    async def run(self) -> None:
        try:
            while True:
                self.reconcile()
                await asyncio.sleep(self.settings.agreements_reload_s)
        finally:
            for _, task in self.running.values():
                task.cancel()
            await asyncio.gather(*(t for _, t in self.running.values()), return_exceptions=True)

    def reconcile(self) -> None:
        def broken(exc: ConfigError) -> None:
            log.error("sharing agreement not loaded (its feed stops)", extra={"error": str(exc)})

        wanted = load_agreements(self.settings.agreements_path, self.areas, on_error=broken)
        for name, (revision, task) in list(self.running.items()):
            agreement = wanted.get(name)
            if agreement is None or agreement.revision != revision or task.done():
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error(
                        "subscriber feed failed; starting it again",
                        extra={"subscriber": name, "error": repr(task.exception())},
                    )
                task.cancel()
                del self.running[name]
        for name, agreement in wanted.items():
            if name not in self.running:
                kind = Feed if agreement.level is Level.RECORDS else CountFeed
                feed = kind(self.settings, agreement, self.areas)
                self.running[name] = (agreement.revision, asyncio.ensure_future(feed.run()))
                log.info(
                    "subscriber feed started",
                    extra={"subscriber": name, "revision": agreement.revision},
                )


@dataclass
class Feed:
    """One subscriber's fan-out: canonical topic -> its topic."""

    settings: Settings
    agreement: Agreement
    areas: Areas

    def __post_init__(self) -> None:
        self.name = self.agreement.subscriber
        if self.agreement.level is Level.RECORDS:
            self.scope = Scope.of(self.agreement, self.areas)
        self.topics = Topics(self.settings.topic_prefix)
        self.topic = self.topics.subscriber(self.name).name
        self.keys = Keys(self.settings.redis_prefix)
        self.state_key = self.keys.subscriber(self.name, "state")
        self.shared_key = self.keys.subscriber(self.name, "shared")
        self.held_key = self.keys.subscriber(self.name, "held")

    async def run(self) -> None:
        redis: Redis = Redis.from_url(self.settings.require_redis())
        try:
            generation = await self.prepare(redis)
            await self._stream(redis, generation)
        finally:
            await redis.aclose()

    async def prepare(self, redis: Redis) -> int:
        """The feed's generation, once its topic was written under this revision (rebuilt
        here first when it was not)."""
        lock = self.keys.subscriber(self.name, "lock")
        while True:
            state: dict[bytes, bytes] = await redis.hgetall(self.state_key)  # type: ignore[assignment]
            revision = state.get(b"revision", b"").decode()
            generation = int(state.get(b"generation", b"0"))
            kafka = self.settings.require_kafka()
            if revision == self.agreement.revision and await asyncio.to_thread(
                topic_exists, kafka, self.topic
            ):
                return generation  # (a topic lost with its broker is rebuilt below)
            if not await redis.set(lock, self.agreement.revision, nx=True, ex=LOCK_S):
                await asyncio.sleep(1.0)  # another worker is rebuilding it
                continue
            try:
                spec = self.topics.subscriber(self.name)
                await asyncio.to_thread(recreate_topic, kafka, spec, 1)
                stale = [
                    k async for k in redis.scan_iter(self.keys.subscriber_cells(self.name, "*"))
                ]
                async with redis.pipeline(transaction=True) as pipe:
                    pipe.delete(self.shared_key, self.held_key, *stale)
                    pipe.delete(self._key("dirty"), self._key("version"))
                    pipe.hset(self.state_key, "revision", self.agreement.revision)
                    pipe.hincrby(self.state_key, "generation", 1)
                    await pipe.execute()
                log.info(
                    "subscriber topic rebuilt from the canonical log",
                    extra={"subscriber": self.name, "revision": self.agreement.revision},
                )
            finally:
                await redis.delete(lock)

    def _key(self, part: str) -> str:
        return self.keys.subscriber(self.name, part)

    def _consumer(self, topic: str, generation: int) -> AIOKafkaConsumer:
        settings = self.settings
        session_ms = int(settings.session_timeout_s * 1000)
        return AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.require_kafka(),
            group_id=f"{settings.consumer_group}.sub.{self.name}.{generation}",
            client_id=f"safer-sub-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            session_timeout_ms=session_ms,
            heartbeat_interval_ms=max(session_ms // 5, 500),
            rebalance_timeout_ms=session_ms * 2,
        )

    async def _stream(self, redis: Redis, generation: int) -> None:
        settings = self.settings
        consumer = self._consumer(self.topics.incidents.name, generation)
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.require_kafka(), acks="all", linger_ms=5
        )
        await producer.start()
        await consumer.start()
        try:
            while True:
                fetched = await consumer.getmany(timeout_ms=1000, max_records=settings.batch_size)
                records = [r for batch in fetched.values() for r in batch]
                if records:
                    await self.process(redis, producer, records)
                    await consumer.commit()
                await self.release_due(redis, producer)
        finally:
            await consumer.stop()
            await producer.stop()

    async def process(self, redis: Redis, producer: Any, records: Sequence[Any]) -> int:
        """Send (or hold) what one batch of canonical records makes; returns how many
        messages were sent now."""
        docs = []
        for record in records:
            try:
                docs.append(orjson.loads(record.value))
            except orjson.JSONDecodeError:  # the canonical topic is ours: never expected
                log.error(
                    "canonical record is not JSON; not shared",
                    extra={"partition": record.partition, "offset": record.offset},
                )
        keys = list(dict.fromkeys(str(d.get("record_key")) for d in docs))
        before = await redis.hmget(self.shared_key, keys) if keys else []
        sent = {k: int(v) for k, v in zip(keys, before, strict=True) if v is not None}
        planned = plan(docs, self.scope, sent, time.time())
        out = BatchSender(producer)
        for key, message in planned.send:
            await out.add(self.topic, key, message)
        await out.flush()
        if planned.sent or planned.hold:
            async with redis.pipeline(transaction=True) as pipe:
                if planned.sent:
                    pipe.hset(self.shared_key, mapping=planned.sent)  # type: ignore[arg-type]
                if planned.hold:
                    pipe.zadd(self.held_key, {m: release for release, m in planned.hold})
                await pipe.execute()
        return len(planned.send)

    async def release_due(self, redis: Redis, producer: Any) -> int:
        """Send the held messages whose agreed delay is over (oldest first)."""
        if not self.agreement.delay_hours:
            return 0
        due: list[bytes] = await redis.zrangebyscore(  # type: ignore[assignment]  # no scores
            self.held_key, "-inf", time.time(), 0, RELEASE_BATCH
        )
        if not due:
            return 0
        out = BatchSender(producer)
        for message in due:
            await out.add(self.topic, str(orjson.loads(message)["record_key"]).encode(), message)
        await out.flush()
        await redis.zrem(self.held_key, *due)
        return len(due)


@dataclass
class CountFeed(Feed):
    """An aggregates-level subscriber's feed: the aggregate change stream in, its agreed
    ward and borough counts of closed local days out (``schemas.shared.SharedCount``),
    disclosed as the agreement says (``sharing.counts``).

    Exact counts of agreed cells are kept per day in Redis (``sub:<name>:cells:<day>``,
    never sent); a day whose cells changed is marked dirty, and once it has closed (local
    midnight, plus the agreed delay) its figures are disclosed and each one that differs
    from what was last sent is sent, with a new version. So a figure changes when a day
    closes or late records change what it shows — never one incident at a time."""

    async def _stream(self, redis: Redis, generation: int) -> None:
        consumer = self._consumer(self.topics.aggregates.name, generation)
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.require_kafka(), acks="all", linger_ms=5
        )
        await producer.start()
        await consumer.start()
        try:
            while True:
                fetched = await consumer.getmany(
                    timeout_ms=1000, max_records=self.settings.batch_size
                )
                records = [r for batch in fetched.values() for r in batch]
                if records:
                    await self.keep(redis, records)
                    await consumer.commit()
                await self.publish_closed(redis, producer)
        finally:
            await consumer.stop()
            await producer.stop()

    async def keep(self, redis: Redis, records: Sequence[Any]) -> None:
        """Store the agreed cells' newest exact counts and mark their days dirty."""
        wards = frozenset(agreed_wards(self.agreement, self.areas))
        newest: dict[tuple[str, str], tuple[int, int]] = {}
        for record in records:
            change = _change(record.value)
            if change is None or not agreed_change(change, self.agreement, wards):
                continue
            cell = (change["bucket"], f"{change['area']}|{change['category']}")
            known = newest.get(cell)
            if known is None or change["version"] > known[0]:
                newest[cell] = (int(change["version"]), int(change["count"]))
        if not newest:
            return
        cells = list(newest)
        async with redis.pipeline(transaction=False) as pipe:
            for day, field in cells:
                pipe.hget(self.keys.subscriber_cells(self.name, day), field)
            stored = await pipe.execute()
        async with redis.pipeline(transaction=True) as pipe:
            for (day, field), before in zip(cells, stored, strict=True):
                version, count = newest[(day, field)]
                if before is not None and int(before.split(b"|", 1)[0]) >= version:
                    continue
                pipe.hset(self.keys.subscriber_cells(self.name, day), field, f"{version}|{count}")
                pipe.sadd(self._key("dirty"), day)
            await pipe.execute()

    async def publish_closed(self, redis: Redis, producer: Any) -> int:
        """Send the changed figures of dirty days that have closed."""
        members: set[bytes] = await redis.smembers(self._key("dirty"))  # type: ignore[assignment]
        dirty = sorted(d.decode() for d in members)
        closed = closed_before(datetime.now(UTC), self.agreement.delay_hours)
        sent = 0
        for day in (d for d in dirty if d < closed):
            sent += await self._publish_day(redis, producer, day)
            await redis.srem(self._key("dirty"), day)
        return sent

    async def _publish_day(self, redis: Redis, producer: Any, day: str) -> int:
        cells_key = self.keys.subscriber_cells(self.name, day)
        raw: dict[bytes, bytes] = await redis.hgetall(cells_key)  # type: ignore[assignment]
        cells = []
        for field, value in raw.items():
            area, category = field.decode().split("|", 1)
            cells.append(Cell(area, category, int(value.split(b"|", 1)[1])))
        figures = day_figures(cells, self.agreement, self.areas)
        keys = [f"{level}|{row['area']}|{row['category']}|{day}" for level, row in figures]
        before = await redis.hmget(self.shared_key, keys) if keys else []
        shown_before = {
            k: v.decode() for k, v in zip(keys, before, strict=True) if isinstance(v, bytes)
        }
        changed = [
            (key, level, row)
            for key, (level, row) in zip(keys, figures, strict=True)
            if shown_before.get(key) != row["shown"]
        ]
        changed += [  # a figure sent before whose cells all went to zero
            (key, *_zero(key))
            for key in await self._sent_of_day(redis, day)
            if key not in set(keys)
        ]
        if not changed:
            return 0
        last = await redis.incrby(self._key("version"), len(changed))
        out = BatchSender(producer)
        for i, (key, level, row) in enumerate(changed):
            message = SharedCount(
                level=level,
                area=row["area"],
                category=row["category"],
                day=day,
                count=row["count"],
                shown=row["shown"],
                disclosure=self.agreement.disclosure.value,
                version=last - len(changed) + 1 + i,
                agreement=self.agreement.revision,
            )
            await out.add(self.topic, key.encode(), message.model_dump_json().encode())
        await out.flush()
        await redis.hset(self.shared_key, mapping={k: row["shown"] for k, _, row in changed})
        return len(changed)

    async def _sent_of_day(self, redis: Redis, day: str) -> list[str]:
        return [k.decode() async for k, _ in redis.hscan_iter(self.shared_key, match=f"*|{day}")]


def _zero(key: str) -> tuple[str, dict[str, Any]]:
    level, area, category, _ = key.split("|")
    return level, {"area": area, "category": category, "count": 0, "shown": "0"}


def _change(value: bytes) -> dict[str, Any] | None:
    try:
        change = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return change if isinstance(change, dict) else None
