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
and are sent when due; an agreement's level ``aggregates`` is served from the aggregate
counts, not by a feed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.asyncio import Redis

from bus.admin import recreate_topic
from bus.produce import BatchSender
from geography.areas import Areas, load_areas
from safer.errors import ConfigError
from safer.settings import Settings
from schemas.topics import Topics
from sharing.agreements import Agreement, Level, load_agreements
from sharing.fanout import plan
from sharing.view import Scope
from store.keys import Keys

if TYPE_CHECKING:
    import faust

log = logging.getLogger(__name__)
LOCK_S = 300
RELEASE_BATCH = 500
RETRY_S = 5.0


def register_subscribers(app: faust.App, settings: Settings) -> None:
    """Run the subscriber feeds for as long as the worker runs."""

    async def subscribers() -> None:
        await SubscriberFeeds(settings).run()

    app.task(subscribers)  # faust's decorators are untyped: applied as a call


class SubscriberFeeds:
    """Starts, replaces and stops one ``Feed`` per records-level agreement as the
    agreements directory changes; a feed that fails is logged and started again."""

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
        try:
            agreements = load_agreements(self.settings.agreements_path, self.areas)
        except ConfigError as exc:
            log.error("sharing agreements not reloaded", extra={"error": str(exc)})
            return
        wanted = {n: a for n, a in agreements.items() if a.level is Level.RECORDS}
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
                feed = Feed(self.settings, agreement, self.areas)
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
            if revision == self.agreement.revision:
                return generation
            if not await redis.set(lock, self.agreement.revision, nx=True, ex=LOCK_S):
                await asyncio.sleep(1.0)  # another worker is rebuilding it
                continue
            try:
                spec = self.topics.subscriber(self.name)
                kafka = self.settings.require_kafka()
                await asyncio.to_thread(recreate_topic, kafka, spec, 1)
                async with redis.pipeline(transaction=True) as pipe:
                    pipe.delete(self.shared_key, self.held_key)
                    pipe.hset(self.state_key, "revision", self.agreement.revision)
                    pipe.hincrby(self.state_key, "generation", 1)
                    await pipe.execute()
                log.info(
                    "subscriber topic rebuilt from the canonical log",
                    extra={"subscriber": self.name, "revision": self.agreement.revision},
                )
            finally:
                await redis.delete(lock)

    async def _stream(self, redis: Redis, generation: int) -> None:
        settings = self.settings
        session_ms = int(settings.session_timeout_s * 1000)
        consumer = AIOKafkaConsumer(
            self.topics.incidents.name,
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
