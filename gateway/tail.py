"""Reading a subscriber's topic for many clients at once: one tail per topic, history on
demand.

Every subscriber topic has one partition (``schemas.topics.Topics.subscriber``), so a
position in it is one offset — the SSE event id a client resumes from (``Last-Event-ID``).
A ``TopicTail`` follows the end of one topic with a single consumer and keeps the last
``KEEP`` messages in memory; any number of clients streaming from near the end are served
from it (one fetch for all of them, so a hundred clients cost little more than one). A
client resuming from further back first reads the history with a consumer of its own, up
to where the tail's memory begins, then joins the tail: ``stream`` yields every message
from its position once, in order, with no gap.

A topic that is rebuilt (its agreement changed, ``streams.subscribers``) starts again at
offset 0; the tail notices that the end went back, forgets what it kept, and clients that
were further on are told to start again (``RebuiltError``).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import OffsetOutOfRangeError

log = logging.getLogger(__name__)
KEEP = 10_000
"""Messages a tail keeps in memory per topic."""
FETCH_WAIT_MS = 20
"""The tail's fetch wait: on brokers that wait it out (the embedded one does) it is the
latency floor of a live message, and one consumer per topic can afford a short one."""
HISTORY_BATCH = 2_000


class RebuiltError(Exception):
    """The topic was rebuilt since the client's position: its ids mean other messages now."""


@dataclass
class TopicTail:
    bootstrap: str
    topic: str
    offsets: list[int] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    end: int = 0
    """One past the last offset seen (where the tail reads next)."""
    head: int = 0
    """The topic's end when the tail started (``end`` catches up with it)."""
    epoch: int = 0
    """Bumped when the topic is found rebuilt (clients further on must start again)."""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._follow())
        await self._ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def latest(self) -> int:
        """Where a client that wants only what comes next starts: the end of the topic."""
        return max(self.end, self.head)

    @property
    def first(self) -> int:
        """The first offset held in memory (``end`` when none is)."""
        return self.offsets[0] if self.offsets else self.end

    async def _follow(self) -> None:
        while True:
            try:
                await self._read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broker hiccup: read on after a pause
                log.warning(
                    "topic tail failed; reading on", extra={"topic": self.topic, "error": repr(exc)}
                )
                await asyncio.sleep(1.0)

    async def _read(self) -> None:
        tp = TopicPartition(self.topic, 0)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=FETCH_WAIT_MS,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            consumer.assign([tp])
            end = (await consumer.end_offsets([tp]))[tp]
            if end < self.end:
                self._rebuilt()
            start = self.end if self.end else max(0, end - KEEP)
            self.end = start
            self.head = max(self.head, end)
            consumer.seek(tp, start)
            self._ready.set()
            while True:
                try:
                    batch = await consumer.getmany(tp, timeout_ms=1000, max_records=5000)
                except OffsetOutOfRangeError:
                    self._rebuilt()
                    consumer.seek(tp, 0)
                    continue
                records = batch.get(tp, [])
                if records:
                    self._append([(r.offset, r.value) for r in records])
        finally:
            await consumer.stop()

    def _append(self, records: list[tuple[int, bytes]]) -> None:
        for offset, value in records:
            self.offsets.append(offset)
            self.values.append(value)
        self.end = records[-1][0] + 1
        if len(self.offsets) > 2 * KEEP:
            del self.offsets[:-KEEP]
            del self.values[:-KEEP]
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _rebuilt(self) -> None:
        log.info("subscriber topic rebuilt: the tail starts again", extra={"topic": self.topic})
        self.offsets.clear()
        self.values.clear()
        self.end = 0
        self.head = 0
        self.epoch += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def stream(self, position: int) -> AsyncIterator[tuple[int, bytes]]:
        """Every message from offset ``position`` on, in order, for ever."""
        await self.start()
        epoch = self.epoch
        if position > self.latest:
            raise RebuiltError(
                f"position {position} is beyond the end of {self.topic} ({self.end})"
            )
        while True:
            if self.epoch != epoch:
                raise RebuiltError(f"{self.topic} was rebuilt")
            if position < self.first:
                async for offset, value in self._history(position, self.first):
                    yield offset, value
                    position = offset + 1
                continue
            i = bisect.bisect_left(self.offsets, position)
            if i < len(self.offsets):
                for offset, value in zip(self.offsets[i:], self.values[i:], strict=True):
                    yield offset, value
                    position = offset + 1
                continue
            await self._changed.wait()

    async def _history(self, start: int, stop: int) -> AsyncIterator[tuple[int, bytes]]:
        """Messages in [start, stop) read with a consumer of their own."""
        tp = TopicPartition(self.topic, 0)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=100
        )
        await consumer.start()
        try:
            consumer.assign([tp])
            consumer.seek(tp, start)
            position = start
            while position < stop:
                batch = await consumer.getmany(tp, timeout_ms=1000, max_records=HISTORY_BATCH)
                if not batch.get(tp) and position >= self.first:
                    return  # the tail holds the rest (it moved on while we read)
                for record in batch.get(tp, []):
                    if record.offset >= stop:
                        return
                    yield record.offset, record.value
                    position = record.offset + 1
        finally:
            await consumer.stop()


class Tails:
    """One tail per topic, started on first use."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._tails: dict[str, TopicTail] = {}

    def of(self, topic: str) -> TopicTail:
        tail = self._tails.get(topic)
        if tail is None:
            tail = self._tails[topic] = TopicTail(self.bootstrap, topic)
        return tail

    async def stop(self) -> None:
        await asyncio.gather(*(t.stop() for t in self._tails.values()))
