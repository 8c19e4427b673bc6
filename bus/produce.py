"""Sending a batch's output messages: one Kafka record batch per partition, not one send
per message.

aiokafka's ``send`` costs tens of microseconds a message (a future, the default murmur2
partitioner in pure Python, a debug log record); a job that forwards every input message
builds record batches itself and awaits one delivery future per partition. Keyed messages
go to ``partition_for(key)`` (see ``schemas.topics``), so every version of a record lands
in one partition and keeps its order there.
"""

from __future__ import annotations

import asyncio
from typing import Any

from schemas.topics import partition_for


def aiokafka_of(producer: Any) -> Any:
    """The aiokafka producer inside faust's ``Producer`` (record batches need the former)."""
    return producer._ensure_producer()


class BatchSender:
    """Collects messages per (topic, partition); ``flush`` sends them and waits until every
    one is delivered (acks as configured on the producer)."""

    def __init__(self, producer: Any) -> None:
        """``producer``: a started aiokafka producer (``aiokafka_of`` a faust one)."""
        self._producer = producer
        self._builders: dict[tuple[str, int], Any] = {}
        self._pending: list[asyncio.Future[Any]] = []
        self._counts: list[int] = []
        self._partitions: dict[str, int] = {}

    async def add(self, topic: str, key: bytes | None, value: bytes) -> None:
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = self._partitions[topic] = await self._partition_count(topic)
        partition = partition_for(key, partitions)
        builder = self._builders.get((topic, partition))
        if builder is None:
            builder = self._builders[topic, partition] = self._producer.create_batch()
        if builder.append(key=key, value=value, timestamp=None) is None:  # full: send it
            await self._send(topic, partition, builder)
            builder = self._builders[topic, partition] = self._producer.create_batch()
            builder.append(key=key, value=value, timestamp=None)  # a first record always fits

    async def flush(self) -> dict[tuple[str, int], int]:
        """Send what is collected and wait for every delivery; returns per (topic, partition)
        the end of what was delivered (one past its last offset)."""
        builders, self._builders = self._builders, {}
        for (topic, partition), builder in builders.items():
            await self._send(topic, partition, builder)
        pending, self._pending = self._pending, []
        counts, self._counts = self._counts, []
        ends: dict[tuple[str, int], int] = {}
        for future, count in zip(pending, counts, strict=True):
            delivered = await future
            where = (delivered.topic, delivered.partition)
            ends[where] = max(ends.get(where, 0), delivered.offset + count)
        return ends

    async def _send(self, topic: str, partition: int, builder: Any) -> None:
        self._counts.append(builder.record_count())
        builder.close()
        self._pending.append(await self._producer.send_batch(builder, topic, partition=partition))

    async def _partition_count(self, topic: str) -> int:
        return len(await self._producer.partitions_for(topic))
