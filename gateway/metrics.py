"""Prometheus metrics of the subscribers (``GET /metrics`` on the gateway), read at scrape:

- ``safer_subscriber_feed_lag{subscriber}`` — messages of the canonical (or aggregate
  change) topic the subscriber's feed has not filtered yet: how far its topic is behind;
- ``safer_subscriber_webhook_lag{subscriber}`` — messages of its topic its webhook has not
  delivered (or given up on) yet;
- ``safer_subscriber_streams{subscriber}`` and ``safer_subscriber_stream_lag{subscriber}`` —
  its open SSE streams and the furthest behind of them (messages);
- ``safer_subscriber_undeliverable{subscriber}`` — webhook messages recorded undeliverable;
- ``safer_subscriber_topic_end{subscriber}`` — messages in its topic.

A lag is the topic's end minus the consumer group's committed offset, summed over
partitions (the broker's end offsets are a lower bound on the embedded one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from redis.asyncio import Redis

from safer.settings import Settings
from schemas.topics import Topics
from sharing.agreements import Level
from sharing.registry import Subscriber
from store.keys import Keys

LABELS = ["subscriber"]


class SubscriberMetrics:
    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        subscribers: Callable[[], list[tuple[Subscriber, Level]]],
        streams: Callable[[str], list[int]],
    ) -> None:
        """``subscribers``: the active ones and their agreements' level; ``streams``: the
        lags of a subscriber's open SSE streams."""
        self.settings = settings
        self.redis = redis
        self.subscribers = subscribers
        self.streams = streams
        self.topics = Topics(settings.topic_prefix)
        self.keys = Keys(settings.redis_prefix)

    async def render(self) -> bytes:
        registry = CollectorRegistry()
        gauges = {
            name: Gauge(f"safer_subscriber_{name}", text, LABELS, registry=registry)
            for name, text in (
                ("feed_lag", "Canonical messages the subscriber's feed has not filtered yet."),
                ("webhook_lag", "Messages of its topic its webhook has not delivered yet."),
                ("streams", "Its open Server-Sent Events streams."),
                ("stream_lag", "Messages the furthest-behind of its open streams is behind."),
                ("undeliverable", "Webhook messages recorded as undeliverable."),
                ("topic_end", "Messages in its topic."),
            )
        }
        subscribers = self.subscribers()
        if subscribers:
            await self._fill(gauges, subscribers)
        return bytes(generate_latest(registry))

    async def _fill(
        self, gauges: dict[str, Gauge], subscribers: list[tuple[Subscriber, Level]]
    ) -> None:
        bootstrap = self.settings.require_kafka()
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await admin.start()
        await consumer.start()
        try:
            for sub, level in subscribers:
                name = sub.name
                source = self.topics.incidents if level is Level.RECORDS else self.topics.aggregates
                state: dict[bytes, bytes] = await self.redis.hgetall(
                    self.keys.subscriber(name, "state")
                )  # type: ignore[assignment]
                generation = int(state.get(b"generation", b"0"))
                group = self.settings.consumer_group
                feed = f"{group}.sub.{name}.{generation}"
                own = self.topics.subscriber(name).name
                gauges["feed_lag"].labels(name).set(await _lag(admin, consumer, source.name, feed))
                ends = await _ends(consumer, own)
                gauges["topic_end"].labels(name).set(sum(ends.values()))
                if sub.webhook_url and not sub.webhook_disabled:
                    hook = f"{group}.webhook.{name}"
                    gauges["webhook_lag"].labels(name).set(await _lag(admin, consumer, own, hook))
                streams = self.streams(name)
                gauges["streams"].labels(name).set(len(streams))
                gauges["stream_lag"].labels(name).set(max(streams, default=0))
                failed = await self.redis.xlen(self.keys.webhook_failed(name))
                gauges["undeliverable"].labels(name).set(failed)
        finally:
            await consumer.stop()
            await admin.close()


async def _ends(consumer: Any, topic: str) -> dict[TopicPartition, int]:
    partitions = await consumer._client.fetch_all_metadata()
    parts = [TopicPartition(topic, p) for p in sorted(partitions.partitions_for_topic(topic) or ())]
    return dict(await consumer.end_offsets(parts)) if parts else {}


async def _lag(admin: Any, consumer: Any, topic: str, group: str) -> int:
    ends = await _ends(consumer, topic)
    if not ends:
        return 0
    committed = await admin.list_consumer_group_offsets(group, partitions=list(ends))
    done = {
        tp: (meta.offset if meta is not None and meta.offset >= 0 else 0)
        for tp, meta in committed.items()
    }
    return sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())
