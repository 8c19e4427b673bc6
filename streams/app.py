"""Builds the one faust App from Settings and registers the stream jobs.

An engine swap should touch only this module and the jobs' agent functions: the
arithmetic and the Redis effects live in ``aggregates`` and ``store``.
"""

from __future__ import annotations

import faust
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from safer.settings import Settings
from schemas.bounds import Bounds
from schemas.topics import Topics
from store.writer import writer_for
from streams import transport, validate_incidents
from streams.aggregate_changes import register_aggregate_changes
from streams.alerts import register_alerts
from streams.backfill import register_backfill_watch
from streams.context import JobContext
from streams.metrics import WorkerMetrics
from streams.subscribers import register_subscribers
from streams.web import register_lag_timer, register_readiness, register_web


def build_app(settings: Settings) -> faust.App:
    """The worker's faust App with every job registered (nothing started yet)."""
    (settings.state_dir / "faust").mkdir(parents=True, exist_ok=True)  # not faust's cwd default
    app = faust.App(
        settings.consumer_group,
        broker=f"{transport.SCHEME}://{settings.require_kafka()}",
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        datadir=str(settings.state_dir / "faust" / settings.consumer_group),
        topic_partitions=settings.partitions,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=max(settings.session_timeout_s / 5, 0.5),
        broker_rebalance_timeout=settings.session_timeout_s * 2,
        broker_commit_every=settings.batch_size,
        broker_commit_interval=1.0,
        web_enabled=True,
        web_port=settings.worker_web_port,
        web_bind="127.0.0.1",
        producer_acks=-1,
        producer_max_batch_size=256 * 1024,  # one record batch per partition per job batch
    )
    app.conf.safer_fetch_max_wait_ms = settings.fetch_max_wait_ms
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry)
    redis: Redis = Redis.from_url(settings.require_redis())
    topics = Topics(settings.topic_prefix)
    ctx = JobContext(
        raw=app.topic(*(spec.name for spec in topics.raw_all)),
        producer=app.producer,
        topics=topics,
        writer=writer_for(redis, settings),
        metrics=metrics,
        settings=settings,
        bounds=Bounds.of(
            settings.earliest_event, settings.future_skew_s, settings.max_interval_days
        ),
    )
    validate_incidents.register(app, ctx)
    register_web(app, metrics, registry)
    register_lag_timer(app, metrics)
    register_readiness(app, metrics, redis)
    register_backfill_watch(app, settings)
    register_alerts(app, settings)
    register_subscribers(app, settings)
    register_aggregate_changes(app, settings)
    return app
