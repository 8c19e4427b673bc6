"""The worker's HTTP endpoints on faust's web server, and the consumer-lag timer.

``GET /metrics``  Prometheus text exposition of the injected registry.
``GET /ready``    200 ``{"ready": true}`` while ``WorkerMetrics.ready``, else 503
                  ``{"ready": false}`` (starting, rebalancing or stopping).
``GET /live``     200 ``{"live": true}`` while the event loop answers at all.

Consumer lag per assigned partition is highwater (next offset the broker will write) minus
the group's committed offset (next offset to process), i.e. messages not yet done. faust
0.15 has no public accessor for its committed offsets, so ``Consumer._committed_offset``
is read; a partition with nothing committed yet counts from its earliest offset (the
worker resets to earliest). Reading lag never raises into the worker: a failure is
logged and that round skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from typing import Any

import faust
from faust.exceptions import ConsumerNotStarted
from faust.types import TP
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streams.metrics import WorkerMetrics

LAG_INTERVAL_S = 5.0
log = logging.getLogger(__name__)

Lags = dict[tuple[str, int], int]


def register_web(app: faust.App, metrics: WorkerMetrics, registry: CollectorRegistry) -> None:
    """Add ``/metrics``, ``/ready`` and ``/live`` to the app's web server (web_enabled)."""

    class MetricsView(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            # CONTENT_TYPE_LATEST carries a charset, which aiohttp refuses as content_type=.
            body = generate_latest(registry)
            return self.bytes(body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    class ReadyView(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            ready = metrics.ready
            return self.json({"ready": ready}, status=200 if ready else 503)

    class LiveView(View):
        async def get(self, request: Request, **kwargs: Any) -> Response:
            return self.json({"live": True})

    app.page("/metrics", name="safer_metrics")(MetricsView)
    app.page("/ready", name="safer_ready")(ReadyView)
    app.page("/live", name="safer_live")(LiveView)


def register_lag_timer(
    app: faust.App, metrics: WorkerMetrics, interval_s: float = LAG_INTERVAL_S
) -> None:
    """Every ``interval_s`` seconds, set ``safer_consumer_lag_messages`` for each partition."""

    async def update_consumer_lag() -> None:
        await update_lag(app, metrics, timeout_s=interval_s)

    # app.timer is @no_type_check in faust; applied as a call to keep this function typed.
    app.timer(interval=interval_s, name="safer_consumer_lag")(update_consumer_lag)


async def update_lag(app: faust.App, metrics: WorkerMetrics, timeout_s: float) -> bool:
    """Read lag and replace the gauge's values; False (logged, gauge kept) when unreadable."""
    try:
        lags = await asyncio.wait_for(read_lags(app.consumer), timeout_s)
    except ConsumerNotStarted:
        log.debug("consumer lag skipped: consumer not started")
        return False
    except Exception:  # never crash the worker over a metric
        log.warning("consumer lag not read", exc_info=True)
        return False
    metrics.replace_lags(lags)
    return True


async def read_lags(consumer: Any) -> Lags:
    """Lag (messages) per assigned (topic, partition); partitions without offsets left out."""
    assigned: set[TP] = set(consumer.assignment())
    if not assigned:
        return {}
    high = await _highwaters(consumer, assigned)
    start = await _start_offsets(consumer, assigned)
    lags: Lags = {}
    for tp in assigned:
        end, begin = high.get(tp), start.get(tp)
        if end is not None and begin is not None:
            lags[(tp.topic, tp.partition)] = max(end - begin, 0)
    return lags


async def _highwaters(consumer: Any, assigned: Collection[TP]) -> Mapping[TP, int | None]:
    # The fetcher's cached highwater; asked of the broker only before the first fetch.
    high: dict[TP, int | None] = {tp: consumer.highwater(tp) for tp in assigned}
    unknown = [tp for tp, offset in high.items() if offset is None]
    if unknown:
        high.update(await consumer.highwaters(*unknown))
    return high


async def _start_offsets(consumer: Any, assigned: Collection[TP]) -> Mapping[TP, int | None]:
    committed: Mapping[TP, int | None] = getattr(consumer, "_committed_offset", {})
    start: dict[TP, int | None] = {tp: _valid(committed.get(tp)) for tp in assigned}
    uncommitted = [tp for tp, offset in start.items() if offset is None]
    if uncommitted:
        start.update(await consumer.earliest_offsets(*uncommitted))
    return start


def _valid(offset: int | None) -> int | None:
    # faust stores "nothing committed" as None (and turns a committed 0 into None too);
    # Kafka answers -1 for a partition the group never committed.
    return offset if offset is not None and offset >= 0 else None


def register_readiness(app: faust.App, metrics: WorkerMetrics, redis: Any) -> None:
    """Ready once partitions are assigned and Redis answers; not ready while rebalancing
    or stopping (so a load balancer or supervisor waits for recovered state)."""

    async def on_revoked(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        metrics.set_ready(False)

    async def on_complete(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        try:
            await redis.ping()
        except Exception:  # not ready is the answer; the next rebalance or batch retries
            log.warning("Redis not answering after rebalance", exc_info=True)
            return
        metrics.set_ready(True)

    app.on_partitions_revoked.connect(on_revoked)
    app.on_rebalance_complete.connect(on_complete)
    app.on_before_shutdown.connect(on_revoked)
