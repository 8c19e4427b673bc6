"""faust's aiokafka transport with a configurable consumer fetch wait and commit positions
that only ever cover processed messages.

faust hard-codes ``fetch_max_wait_ms=1500`` for its worker consumer. On brokers that wait
out the fetch wait even when data has arrived (the embedded Tansu does), end-to-end latency
follows that value, so the worker sets its own (``SAFER_FETCH_MAX_WAIT_MS``).

faust commits the end of the first run of *acknowledged* offsets, and two things break
at-least-once there (faust-streaming issue #606): it acknowledges messages it skips while
its flow is suspended (a crash being handled, a rebalance), and its check for an
unacknowledged head is off by one (a single unprocessed message at the committed position
is committed over) and absent before the first commit. A crash while a batch was being
stored could therefore commit past that batch, and its events were lost. This consumer
commits what the jobs marked as processed (``mark_processed``, after a batch's effects are
stored) and nothing else: a job on this transport that never marks commits nothing.

Whole fetched batches (``fetched_batches``): faust hands a stream one message at a time, and
its per-message machinery (a task pair per message in the fetch loop, the conductor, the
channel queue, the stream's event and acknowledgement) costs ~170 µs of CPU per message on a
2-core machine — more than our whole processing of an incident. A job that works on batches
anyway can take the records of its topics as the consumer fetched them instead: they are
diverted before faust's fetch loop sees them, and the job marks what it processed (commits as
above). A rebalance or shutdown waits for the batches in hand; batches fetched before a
rebalance are dropped unprocessed (faust seeks every assigned partition back to its committed
offset before the flow resumes, so they are read again).

Registered under the URL scheme ``safer-kafka``; everything else is faust's own transport.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass
from time import monotonic
from typing import Any

from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

SCHEME = "safer-kafka"
log = logging.getLogger(__name__)


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka keeps the constructor argument here until start() builds its fetcher.
        consumer._fetch_max_wait_ms = int(self.app.conf.safer_fetch_max_wait_ms)
        wait_ms = consumer._fetch_max_wait_ms
        log.info("worker consumer created", extra={"fetch_max_wait_ms": wait_ms})
        return consumer


@dataclass(frozen=True, slots=True)
class _Fetched:
    generation: int
    messages: list[Any]


class FetchedBatches:
    """The records of some topics, as the consumer fetched them, for one job to process."""

    MAX_QUEUED = 8  # fetches held before the fetch loop waits (back-pressure)

    def __init__(self, consumer: _Consumer, topics: Set[str]) -> None:
        self.topics = frozenset(topics)
        self._consumer = consumer
        self._queue: asyncio.Queue[_Fetched] = asyncio.Queue(self.MAX_QUEUED)
        self._rest: _Fetched | None = None  # what a batch left of a fetch
        self._in_hand = 0  # batches taken and not yet processed or abandoned
        self._idle = asyncio.Event()
        self._idle.set()

    async def put(self, generation: int, messages: list[Any]) -> None:
        await self._queue.put(_Fetched(generation, messages))

    async def take(self, max_messages: int) -> list[Any]:
        """The next messages: at least one, at most ``max_messages``, as many as are already
        fetched; the job must call ``processed`` or ``abandoned`` for each batch taken."""
        taken: list[Any] = []
        while not taken:
            fetched = self._rest or await self._queue.get()
            self._rest = None
            while True:
                messages = self._current(fetched)
                room = max_messages - len(taken)
                if len(messages) > room:
                    taken.extend(messages[:room])
                    self._rest = _Fetched(fetched.generation, messages[room:])
                    break
                taken.extend(messages)
                if len(taken) == max_messages or self._queue.empty():
                    break
                fetched = self._queue.get_nowait()
        self._in_hand += 1
        self._idle.clear()
        inbound = self._consumer.app.monitor.stream_inbound_time  # faust's livelock check
        now = monotonic()
        for tp in {message.tp for message in taken}:
            inbound[tp] = now
        return taken

    def _current(self, fetched: _Fetched) -> list[Any]:
        """Fetched before a rebalance (or while the flow is stopped): dropped, read again."""
        consumer = self._consumer
        if consumer.flow_active and fetched.generation == consumer.app.consumer_generation_id:
            return fetched.messages
        return []

    def processed(self, messages: Iterable[Any]) -> None:
        """These messages' effects are stored: their offsets become committable (batches of
        a partition are marked in the order they were taken)."""
        mark_processed(self._consumer, messages)
        self._put_down()

    def abandoned(self) -> None:
        """A batch in hand failed (nothing marked: it is delivered again)."""
        self._put_down()

    def _put_down(self) -> None:
        self._in_hand -= 1
        if not self._in_hand:
            self._idle.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()


def fetched_batches(stream: Any) -> FetchedBatches:
    """Subscribe ``stream``'s topics with their records delivered as fetched batches (call
    once, from the agent that owns them, before the worker subscribes)."""
    consumer = stream.app.consumer
    if not isinstance(consumer, _Consumer):
        raise TypeError(f"fetched batches need the {SCHEME} transport")
    batches = consumer.divert(stream.channel.topics)
    aiter(stream.channel)  # adds the topics to the conductor: the consumer subscribes them
    return batches


class _Consumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._positions: dict[TP, int] = {}  # next offset to read, everything before processed
        self._diverted: FetchedBatches | None = None
        super().__init__(*args, **kwargs)

    def divert(self, topics: Iterable[str]) -> FetchedBatches:
        if self._diverted is not None:
            raise RuntimeError("one job per worker takes fetched batches")
        self._diverted = FetchedBatches(self, set(topics))
        return self._diverted

    async def _wait_next_records(self, timeout: float) -> tuple[Any, Any]:  # noqa: ASYNC109 (faust's signature)
        generation = self.app.consumer_generation_id
        records, active = await super()._wait_next_records(timeout)
        diverted = self._diverted
        if not records or diverted is None:
            return records, active
        kept = {}
        messages: list[Any] = []
        to_message = self._to_message
        for tp, batch in records.items():
            if tp.topic not in diverted.topics:
                kept[tp] = batch
            elif active is None or tp in active or tp in self._buffered_partitions:
                messages.extend(to_message(tp, record) for record in batch)
        if messages and self.flow_active:  # otherwise faust seeks back to committed offsets
            await diverted.put(generation, messages)
        return kept, active

    async def wait_empty(self) -> None:
        """Before a rebalance or shutdown commits: the fetched batches in hand are finished."""
        if self._diverted is not None:
            await self._diverted.wait_idle()
        await super().wait_empty()

    def _filter_tps_with_pending_acks(self, topics: Any = None) -> Iterator[TP]:
        """Partitions that may have something to commit: acknowledged or processed ones."""
        for tp in set(self._acked) | set(self._positions):
            if topics is None or tp in topics or tp.topic in topics:
                yield tp

    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    def processed(self, tp: TP, offset: int) -> None:
        """Every message of ``tp`` up to ``offset`` has its effects stored."""
        if offset >= self._positions.get(tp, 0):
            self._positions[tp] = offset + 1

    def _new_offset(self, tp: TP) -> int | None:
        """The offset to commit for ``tp``: the processed position (faust's: acknowledged)."""
        position = self._positions.get(tp)
        acked = self._acked[tp]
        if position is not None and acked:  # faust's own record, trimmed so it cannot grow
            done = [offset for offset in acked if offset < position]
            if done:
                acked[:] = [offset for offset in acked if offset >= position]
                self._acked_index[tp].difference_update(done)
        return position

    async def on_partitions_revoked(self, revoked: Set[TP]) -> None:
        for tp in revoked:
            self._positions.pop(tp, None)
        await super().on_partitions_revoked(revoked)


def mark_processed(consumer: Any, messages: Iterable[Any]) -> None:
    """Record that these messages' effects are stored: the highest offset per partition
    becomes committable (messages of a partition are processed in order)."""
    highest: dict[TP, int] = {}
    for message in messages:
        tp = message.tp
        if message.offset > highest.get(tp, -1):
            highest[tp] = message.offset
    for tp, offset in highest.items():
        consumer.processed(tp, offset)


class Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
