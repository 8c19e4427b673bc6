"""What the supervisor watches besides processes: restart pacing (``Backoff``) and the
stack's end-to-end health line (``FlowReport``: every source's counts in Redis)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from rich.console import Console

from safer.settings import Settings
from schemas.categories import Source
from store.reader import StoreReader


@dataclass
class Backoff:
    """Restart pacing: 1 s, 2 s, 4 s … up to 30 s between restarts; reset after 60 s up."""

    clock: Callable[[], float] = time.monotonic
    delay_s: float = 0.0
    due_at: float | None = None
    last_start: float | None = None

    def next_delay(self) -> float | None:
        """The delay just waited when a restart is due now; None while still waiting."""
        now = self.clock()
        if self.last_start is None:
            self.last_start = now
        if self.due_at is None:
            ran_for = now - self.last_start
            self.delay_s = 1.0 if ran_for > 60 else min(max(self.delay_s * 2, 1.0), 30.0)
            self.due_at = now + self.delay_s
        if now < self.due_at:
            return None
        self.due_at = None
        self.last_start = now
        return self.delay_s


class FlowReport:
    """Says once when every source's counts are in Redis (the stack's end-to-end health)."""

    def __init__(self, settings: Settings, console: Console, expect: bool) -> None:
        self._reader = StoreReader.of(Redis.from_url(settings.require_redis()), settings)
        self._console = console
        self._started = time.monotonic()
        self._done = not expect

    def check(self) -> None:
        if self._done:
            return
        try:
            by_source = self._reader.live_snapshot(latest=1).total_by("source")
        except RedisError:
            return
        if {s.value for s in Source} <= set(by_source):
            elapsed = time.monotonic() - self._started
            counts = ", ".join(f"{s}={n}" for s, n in sorted(by_source.items()))
            self._console.print(
                f"[green]healthy[/green]: counts in Redis after {elapsed:.0f} s ({counts})"
            )
            self._done = True
