"""Runs the stream worker: topics ensured, Redis paired with the log, then faust."""

from __future__ import annotations

import logging

from redis import Redis

from bus.admin import cluster_id, ensure_topics
from safer.runtime import tune_gc
from safer.settings import Settings
from schemas.topics import Topics
from store.keys import Keys
from store.reset import pair_with_log

log = logging.getLogger(__name__)


def prepare(settings: Settings) -> None:
    """Idempotent start-up work shared by every worker and by ``safer up``."""
    bootstrap = settings.require_kafka()
    created = ensure_topics(bootstrap, Topics(settings.topic_prefix), settings.partitions)
    if created:
        log.info("topics created", extra={"topics": created})
    redis = Redis.from_url(settings.require_redis())
    try:
        pair_with_log(redis, Keys(settings.redis_prefix), cluster_id(bootstrap))
    finally:
        redis.close()


def run_worker(settings: Settings) -> None:
    """Block running the faust worker until SIGINT/SIGTERM."""
    from faust.worker import Worker

    from streams.app import build_app

    prepare(settings)
    app = build_app(settings)
    worker = Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    tune_gc()
    worker.execute_from_commandline()
