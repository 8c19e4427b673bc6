"""The archiver: tails every topic of the embedded broker into local segment files.

It reads each partition from the end of its archive (no consumer group: the archive itself is
the position), appends what it fetched and ``fsync``s before it moves on, and every second
snapshots the consumer groups' committed offsets. The broker's log lives in memory only, so
this is what a restart, a crash of the whole stack or a reboot restores from
(``bus.archive.restore``). Records acknowledged by the broker but not yet archived when the
machine dies are the loss window: about one fetch wait plus an fsync (see the README).

Stopping (SIGTERM) drains: the archiver keeps fetching until a fetch brings nothing new,
then writes a last group snapshot and marks the archive clean with the ends it reached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from bus.archive.catalog import Catalog, GroupOffsets, TopicShape, tp_name
from bus.archive.segments import PartitionLog, Record

log = logging.getLogger(__name__)
KEPT_CONFIGS = ("cleanup.policy", "retention.ms")
INTERNAL_PREFIX = "__"


@dataclass(frozen=True, slots=True)
class ArchiverOptions:
    fetch_wait_ms: int = 100
    groups_every_s: float = 1.0
    topics_every_s: float = 2.0
    drain_timeout_s: float = 10.0
    prefixes: tuple[str, ...] = ()
    """Archive only topics whose names start with one of these (empty: every topic)."""


@dataclass
class Archiver:
    bootstrap: str
    catalog: Catalog
    options: ArchiverOptions = field(default_factory=ArchiverOptions)
    logs: dict[TopicPartition, PartitionLog] = field(default_factory=dict)
    archived: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Archive until ``stop`` is set, then drain and mark the archive clean."""
        self.catalog.mark_unclean()
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="safer-archiver")
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=self.options.fetch_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            client_id="safer-archiver",
        )
        await consumer.start()
        try:
            await self._follow(admin, consumer, stop)
            await self._drain(consumer)
            await self._snapshot_groups(admin)
            self.catalog.mark_clean(self.ends())
        finally:
            await consumer.stop()
            admin.close()
            for partition_log in self.logs.values():
                partition_log.close()

    async def _follow(
        self, admin: KafkaAdminClient, consumer: AIOKafkaConsumer, stop: asyncio.Event
    ) -> None:
        next_topics = next_groups = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_topics:
                await self._discover(admin, consumer)
                next_topics = now + self.options.topics_every_s
            if now >= next_groups:
                await self._snapshot_groups(admin)
                next_groups = now + self.options.groups_every_s
            await self._fetch_once(consumer)

    async def _drain(self, consumer: AIOKafkaConsumer) -> None:
        deadline = time.monotonic() + self.options.drain_timeout_s
        while time.monotonic() < deadline and await self._fetch_once(consumer):
            pass

    async def _fetch_once(self, consumer: AIOKafkaConsumer) -> int:
        if not self.logs:
            await asyncio.sleep(self.options.fetch_wait_ms / 1000)
            return 0
        batches = await consumer.getmany(timeout_ms=self.options.fetch_wait_ms)
        written = 0
        for tp, messages in batches.items():
            written += self.logs[tp].append(_records(messages))
        if written:
            self.archived += written
            self.catalog.save_positions(self.ends())
        return written

    async def _discover(self, admin: KafkaAdminClient, consumer: AIOKafkaConsumer) -> None:
        shapes = await asyncio.to_thread(_topic_shapes, admin, self.options.prefixes)
        known = self.catalog.topics()
        if shapes != {n: s for n, s in known.items() if n in shapes}:
            self.catalog.save_topics(known | shapes)
        fresh = [
            TopicPartition(topic, p)
            for topic, shape in shapes.items()
            for p in range(shape.partitions)
            if TopicPartition(topic, p) not in self.logs
        ]
        if not fresh:
            return
        for tp in fresh:
            self.logs[tp] = PartitionLog.open(self.catalog.partition_folder(tp.topic, tp.partition))
        consumer.assign(list(self.logs))
        for tp, partition_log in self.logs.items():
            consumer.seek(tp, partition_log.end)
        log.info("archiving", extra={"partitions": len(self.logs), "new": len(fresh)})

    async def _snapshot_groups(self, admin: KafkaAdminClient) -> None:
        archived = set(self.ends())
        groups = {
            group: {tp: o for tp, o in offsets.items() if tp in archived}
            for group, offsets in (await asyncio.to_thread(group_offsets, admin)).items()
        }
        if groups != self.catalog.groups():
            self.catalog.save_groups(groups)

    def ends(self) -> dict[str, int]:
        return {tp_name(tp.topic, tp.partition): pl.end for tp, pl in self.logs.items()}


def _records(messages: Iterable[Any]) -> list[Record]:
    return [
        Record(m.offset, m.timestamp, m.key, m.value, tuple((k, v) for k, v in m.headers))
        for m in messages
    ]


def _topic_shapes(admin: KafkaAdminClient, prefixes: tuple[str, ...]) -> dict[str, TopicShape]:
    described = [
        t
        for t in admin.describe_topics()
        if not t["name"].startswith(INTERNAL_PREFIX)
        and (not prefixes or t["name"].startswith(prefixes))
    ]
    configs = _configs(admin, [t["name"] for t in described])
    return {
        t["name"]: TopicShape(len(t["partitions"]), configs.get(t["name"], {}))
        for t in described
        if t["partitions"]
    }


def _configs(admin: KafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    found = admin.describe_configs(resources, config_filter="all").get("topic", {})
    return {
        name: {k: str(v["value"]) for k, v in entries.items() if k in KEPT_CONFIGS and v["value"]}
        for name, entries in found.items()
    }


def group_offsets(admin: KafkaAdminClient) -> GroupOffsets:
    """Every consumer group's committed offsets ("topic|partition" -> next offset)."""
    groups: GroupOffsets = {}
    for listed in admin.list_groups():
        group = listed["group_id"]
        offsets = admin.list_group_offsets(group).get(group, {})
        committed = {tp_name(tp.topic, tp.partition): o.offset for tp, o in offsets.items()}
        groups[group] = {k: v for k, v in committed.items() if v >= 0}
    return groups
