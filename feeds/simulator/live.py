"""The simulator as a live feed: its batches published at a steady rate until stopped."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from feeds.publish.publisher import RawPublisher
from feeds.simulator.generator import Clock, Simulator, utc_now
from feeds.simulator.surges import SurgeFeed

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
"""Called after every tick with the total number of messages published so far."""


def run_live(
    publisher: RawPublisher,
    simulator: Simulator,
    rate: float,
    stop: threading.Event,
    progress: Progress | None = None,
    *,
    tick: float = 0.1,
    follow_rhythm: bool = False,
    clock: Clock = utc_now,
    surges: Sequence[SurgeFeed] = (),
    normal: bool = True,
) -> int:
    """Publish about ``rate`` messages per second until ``stop`` is set; returns the total.

    Every ``tick`` seconds the simulator's batch due for the elapsed time is sent, so the
    rate holds however long a send takes; ``stop.wait`` sleeps, so stopping is prompt.
    ``surges`` add their extra incidents as they fall due (``feeds.simulator.surges``);
    ``normal=False`` publishes them alone (beside a stack whose own simulator runs).
    """
    batches = simulator.stream(rate, clock, follow_rhythm=follow_rhythm)
    next(batches)  # starts the simulator's clock now, so the first tick has its share
    total, started = 0, time.monotonic()
    log.info("live feed started", extra={"stage": "simulate", "rate": rate, "tick_s": tick})
    while not stop.wait(tick):
        batch = next(batches) if normal else []
        for surge in surges:
            if not surge.done:
                batch += surge.due(clock())
        total += publisher.publish(batch)
        if progress is not None:
            progress(total)
    publisher.flush()
    elapsed = time.monotonic() - started
    log.info(
        "live feed stopped",
        extra={
            "stage": "simulate",
            "published": total,
            "elapsed_s": round(elapsed, 3),
            "failed": publisher.failed,
        },
    )
    return total
