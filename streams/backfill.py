"""Back-fill: when an operation is added or edited, count it over the whole log.

The registry (``operations.registry``) says which operations should be counted; each
generation of aggregates records the ones it counts (``store.keys``: ``ops``). When they
differ, the aggregates are rebuilt from the canonical topic (``streams.rebuild``: a new
generation beside the live one, swapped in atomically), so every record's zones are
decided by the same code as live and the result equals a rebuild by construction. The
worker checks every few seconds (``register_backfill_watch``) and ``safer operations add``
runs it at once; a lock in Redis lets one of them run it, and its progress is written to
Redis for the dashboard and the CLI (``store.operation_counts.Backfill``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import faust
from redis import Redis

from operations.registry import Registry, digest_of
from safer.settings import Settings
from store.keys import Keys
from store.operation_counts import Backfill
from streams.rebuild import RebuildReport, run_rebuild

log = logging.getLogger(__name__)
WATCH_INTERVAL_S = 5.0
LOCK_TTL_S = 120
RETRY_AFTER_S = 60.0
REPORT_EVERY_S = 0.5
_RELEASE = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


def wanted_digest(settings: Settings) -> str:
    """The digest of the operations the registry says should be counted."""
    return Registry(settings.state_dir).snapshot().digest


def live_digest(redis: Redis, keys: Keys) -> str:
    generation = redis.get(keys.generation_pointer) or b"0"
    return digest_of(redis.get(keys.operations(generation.decode())))  # type: ignore[union-attr]


def needed(settings: Settings, redis: Redis) -> bool:
    """Whether the live aggregates count other operations than the registry holds."""
    return wanted_digest(settings) != live_digest(redis, Keys(settings.redis_prefix))


def run_backfill(
    settings: Settings, progress: Callable[[int, int], None] | None = None
) -> RebuildReport | None:
    """Rebuild so that the live generation counts the registry's operations, unless someone
    else is already doing it (None). Progress goes to Redis and to ``progress``."""
    redis: Redis = Redis.from_url(settings.require_redis())
    keys = Keys(settings.redis_prefix)
    token = secrets.token_hex(8)
    try:
        if not redis.set(keys.backfill_lock, token, nx=True, ex=LOCK_TTL_S):
            return None
        digest = wanted_digest(settings)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        reporter = _Reporter(redis, keys, token, digest, started, progress)
        reporter.write("running", 0, 0)
        try:
            report = run_rebuild(settings, reporter)
        except Exception as exc:
            reporter.write("failed", reporter.done, reporter.total, f"{type(exc).__name__}: {exc}")
            raise
        reporter.write("done", report.events, report.events, f"generation {report.generation}")
        return report
    finally:
        try:
            redis.eval(_RELEASE, 1, keys.backfill_lock, token)
        finally:
            redis.close()


class _Reporter:
    """The rebuild's progress callback: written to Redis at most every half second (and
    the lock kept alive with it)."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        token: str,
        digest: str,
        started: str,
        also: Callable[[int, int], None] | None,
    ) -> None:
        self.redis, self.keys, self.token = redis, keys, token
        self.digest, self.started, self.also = digest, started, also
        self.done = self.total = 0
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.also is not None:
            self.also(done, total)
        now = time.monotonic()
        if now - self._last >= REPORT_EVERY_S:
            self._last = now
            self.write("running", done, total)

    def write(self, state: str, done: int, total: int, detail: str = "") -> None:
        fields: dict[Any, Any] = Backfill(
            self.digest, state, done, total, self.started, detail
        ).fields()
        pipe = self.redis.pipeline()
        pipe.hset(self.keys.backfill, mapping=fields)
        pipe.expire(self.keys.backfill_lock, LOCK_TTL_S)
        pipe.execute()


class BackfillWatch:
    """The worker's timer: starts a back-fill (in a thread; the rebuild's own processes do
    the heavy part) when the registry and the live generation differ."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: Redis = Redis.from_url(settings.require_redis())
        self.task: asyncio.Task[RebuildReport | None] | None = None
        self.failed_at = 0.0

    async def check(self) -> None:
        if self.task is not None and not self.task.done():
            return
        if self.task is not None:
            self._settle(self.task)
            self.task = None
        if time.monotonic() - self.failed_at < RETRY_AFTER_S:
            return
        try:
            if not await asyncio.to_thread(self._due):
                return
        except Exception:  # never crash the worker over the watch
            log.warning("operations back-fill check failed", exc_info=True)
            return
        log.info("operations changed: back-filling")
        self.task = asyncio.create_task(asyncio.to_thread(run_backfill, self.settings))

    def _due(self) -> bool:
        """A back-fill is needed and nobody runs it (``safer operations add`` may)."""
        running = self.redis.exists(Keys(self.settings.redis_prefix).backfill_lock)
        return not running and needed(self.settings, self.redis)

    def _settle(self, task: asyncio.Task[RebuildReport | None]) -> None:
        error = task.exception()
        if error is not None:
            self.failed_at = time.monotonic()
            log.error("operations back-fill failed: %s", error)
            return
        report = task.result()
        if report is not None:
            log.info(
                "operations back-filled",
                extra={"generation": report.generation, "events": report.events},
            )


def register_backfill_watch(app: faust.App, settings: Settings) -> BackfillWatch:
    watch = BackfillWatch(settings)
    # app.timer is @no_type_check in faust; applied as a call to keep this function typed.
    app.timer(interval=WATCH_INTERVAL_S, name="safer_operations_backfill")(watch.check)
    return watch
