"""``safer up``'s first-run step: simulated history on an empty log, counted before live
traffic starts (the history itself: ``feeds.simulator.history``).

It needs the topics created, Redis paired with the log and the worker started, and runs
before the live simulator, a police replay and the dashboard (``cli.stack.supervisor``);
where the log is restored from an archive, after the restore — a restored log is not
empty, so no history is added to it. The messages go through the raw topics and the same
worker as live traffic; nothing is written to Redis here except the marker
(``store.simulated``), set once the broker has acknowledged them. Then the step waits
until the worker has stored every one of them (its stored offsets, ``store.simulated``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bus.admin import holds_records
from cli.common import configured_simulator
from feeds.publish.publisher import RawPublisher
from feeds.simulator.generator import Simulator
from feeds.simulator.history import HistoryPlan, expected_messages, history_batches, plan_history
from safer.errors import ConfigError, StackError
from safer.settings import Settings
from schemas.categories import Source
from schemas.topics import Topics
from store.keys import Keys
from store.simulated import SimulatedHistory, mark_history, stored_offsets
from streams.validate_incidents import STAGE

Acked = dict[tuple[str, int], tuple[int, int]]
STALL_S = 120.0
"""Longest the worker may store nothing of the history before the step gives up."""


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """What to publish: ``span`` up to now at ``rate`` (the live rate) for ``sources``."""

    span: timedelta
    rate: float
    sources: frozenset[Source] = frozenset(Source)


def check_size(request: HistoryRequest, limit: int) -> None:
    """Refuse (one line, with the figures) a history of more than ``limit`` messages."""
    expected = expected_messages(request.rate, request.span)
    if expected > limit:
        raise ConfigError(
            f"{request.span.days} days of simulated history at {request.rate:g} events/s is "
            f"about {expected:,} events, over SAFER_SIMULATOR_HISTORY_MAX_EVENTS ({limit:,}): "
            "lower --rate or --history (--history 0 for none)"
        )


def log_is_empty(settings: Settings) -> bool:
    """No raw, canonical or dead-letter topic of this deployment holds a record."""
    topics = Topics(settings.topic_prefix)
    return not holds_records(settings.require_kafka(), [spec.name for spec in topics.all])


def publish_history(
    settings: Settings,
    request: HistoryRequest,
    console: Console,
    stopping: Callable[[], bool] = lambda: False,
    watch: Callable[[], None] = lambda: None,
    *,
    wait: bool = True,
) -> SimulatedHistory | None:
    """On an empty log: publish the history and mark it; with ``wait``, wait until the
    worker has counted it, then top it up to the present. None when nothing was published
    (span 0, a log that holds records already, or stopped before the first message)."""
    if request.span <= timedelta(0):
        return None
    if not log_is_empty(settings):
        console.print("The log already holds records: no simulated history published.")
        return None
    check_size(request, settings.simulator_history_max_events)
    # kafka-python warns when its I/O thread waits for the GIL while messages are built
    # here: harmless, and it would break the progress bars
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
    simulator = configured_simulator(settings, request.sources)
    plan = plan_history(simulator, request.rate, request.span, datetime.now(UTC))
    redis, keys = Redis.from_url(settings.require_redis()), Keys(settings.redis_prefix)
    try:
        with _publisher(settings) as publisher:
            end = _publish(publisher, simulator, plan, console, stopping)
            publisher.flush()
            acked = publisher.acknowledged
            if not acked:
                return None
            history = SimulatedHistory(plan.start, end, _messages(acked), request.rate)
            mark_history(redis, keys, history)
            if wait and not stopping():
                _wait_counted(redis, keys, acked, console, stopping, watch)
                history = _top_up(publisher, simulator, history, stopping)
                mark_history(redis, keys, history)
        return history
    finally:
        redis.close()


def _publisher(settings: Settings) -> RawPublisher:
    # larger record batches than the live feed's: fewer batches in the broker's log
    # (each fetch of the embedded broker lists them all) and fewer produce requests
    return RawPublisher(
        settings.require_kafka(),
        Topics(settings.topic_prefix),
        client_id="safer-history",
        linger_ms=50,
        batch_size=256 * 1024,
    )


def _progress(console: Console) -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _publish(
    publisher: RawPublisher,
    simulator: Simulator,
    plan: HistoryPlan,
    console: Console,
    stopping: Callable[[], bool],
) -> datetime:
    """Publish the plan's messages step by step; returns the end of what was sent (the
    plan's end, unless stopped)."""
    end = plan.start
    days = (plan.end - plan.start).days
    what = f"history: publishing {days} day{'' if days == 1 else 's'}"
    with _progress(console) as progress:
        task = progress.add_task(what, total=plan.messages)
        steps = (step for step in plan.steps if step.messages)
        for step, batch in zip(steps, history_batches(simulator, plan), strict=True):
            if stopping():
                return end
            progress.advance(task, publisher.publish(batch))
            end = step.end
    return plan.end


def _messages(acked: Acked) -> int:
    return sum(last - first + 1 for first, last in acked.values())


def counted(acked: Acked, stored: dict[tuple[str, int], int]) -> int:
    """How many of the acknowledged messages the worker has stored."""
    total = 0
    for where, (first, last) in acked.items():
        total += max(0, min(stored.get(where, first - 1), last) - first + 1)
    return total


def _wait_counted(
    redis: Redis,
    keys: Keys,
    acked: Acked,
    console: Console,
    stopping: Callable[[], bool],
    watch: Callable[[], None],
) -> None:
    """Until the worker has stored every acknowledged message (``watch`` runs each turn:
    the supervisor restarts a worker that died); a stall of ``STALL_S`` fails."""
    total, done = _messages(acked), -1
    last_move = time.monotonic()
    with _progress(console) as progress:
        task = progress.add_task("history: worker counting", total=total)
        while done < total and not stopping():
            now_done = counted(acked, stored_offsets(redis, keys, STAGE))
            if now_done != done:
                done, last_move = now_done, time.monotonic()
                progress.update(task, completed=done)
            elif time.monotonic() - last_move > STALL_S:
                raise StackError("worker", f"stored none of the history for {STALL_S:.0f} s")
            watch()
            time.sleep(0.25)


def _top_up(
    publisher: RawPublisher,
    simulator: Simulator,
    history: SimulatedHistory,
    stopping: Callable[[], bool],
) -> SimulatedHistory:
    """The minutes spent publishing and counting, published too (not waited for), so the
    history reaches the moment live traffic starts."""
    now = datetime.now(UTC)
    if stopping() or now <= history.end:
        return history
    plan = plan_history(simulator, history.rate, now - history.end, now)
    sent = sum(publisher.publish(batch) for batch in history_batches(simulator, plan))
    publisher.flush()
    return SimulatedHistory(history.start, now, history.messages + sent, history.rate)


def history_span(
    asked: timedelta | None, default: timedelta, *, simulator: bool, police_data: bool
) -> timedelta:
    """The simulated history to publish: what was asked for; else none beside real police
    data (a partner's real records are never mixed with a simulated past) or without the
    simulator, and the configured default otherwise."""
    if asked is not None:
        return asked
    return timedelta(0) if police_data or not simulator else default


def history_json(history: SimulatedHistory | None) -> dict[str, object] | None:
    """The stack file's ``simulated_history``: what ``safer status`` shows."""
    if history is None:
        return None
    return {
        "start": history.start.isoformat(),
        "end": history.end.isoformat(),
        "messages": history.messages,
        "rate": history.rate,
    }
