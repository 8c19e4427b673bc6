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

Registered under the URL scheme ``safer-kafka``; everything else is faust's own transport.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Set
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


class _Consumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._positions: dict[TP, int] = {}  # next offset to read, everything before processed
        super().__init__(*args, **kwargs)

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
