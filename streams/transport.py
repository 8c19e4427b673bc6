"""faust's aiokafka transport with a configurable consumer fetch wait.

faust hard-codes ``fetch_max_wait_ms=1500`` for its worker consumer. On brokers that wait
out the fetch wait even when data has arrived (the embedded Tansu does), end-to-end latency
follows that value, so the worker sets its own (``SAFER_FETCH_MAX_WAIT_MS``). Registered
under the URL scheme ``safer-kafka``; everything else is faust's own transport.
"""

from __future__ import annotations

import logging
from typing import Any

from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers import aiokafka as faust_aiokafka

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
    def _new_consumer_thread(self) -> _ConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:Transport"
