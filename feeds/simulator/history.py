"""Simulated history: the live simulator's traffic with arrival times in the past.

A new tracker has no past, so every baseline is zero and every ward "far above normal".
A history is published once, on an empty log, before live traffic starts, through the
same raw topics and the same worker as everything else (``cli.stack.history``).

It is the live feed moved back in time: the same generator (``Simulator.messages``), the
same rate as a weekly mean, shaped by the same weekly rhythm (``Simulator.intensity``, as
``feeds.simulator.live`` runs with ``follow_rhythm``), and the same mix of labels — 2 %
duplicates, 3 % corrections and cancellations, 1 % malformed — so dead letters, versions
and late records look in the past as they will live, and live traffic reads as normal
against it. Messages come in arrival order, as the live feed sends them.

The span is cut at every whole hour (UK offsets are whole hours, so each step is one local
hour of the week); a step's count is ``rate * intensity * seconds`` with the fraction
carried to the next step, as ``Simulator.due`` does live. The plan (how many messages in
each step) is known before any message is built: it gives a progress bar its total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from feeds.raw import RawMessage
from feeds.simulator.generator import Simulator

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Step:
    """Messages arriving in (start, end]: ``messages`` of them."""

    start: datetime
    end: datetime
    messages: int


@dataclass(frozen=True, slots=True)
class HistoryPlan:
    """A history of [start, end): its steps, in time order."""

    start: datetime
    end: datetime
    steps: tuple[Step, ...]

    @property
    def messages(self) -> int:
        return sum(step.messages for step in self.steps)


def expected_messages(rate: float, span: timedelta) -> int:
    """About how many messages a history has (the rhythm averages out over whole weeks):
    what a limit is checked against before anything is planned."""
    return round(rate * span.total_seconds())


def plan_history(simulator: Simulator, rate: float, span: timedelta, end: datetime) -> HistoryPlan:
    """The steps of ``span`` up to ``end`` (UTC-aware) at ``rate`` messages per second (the
    weekly mean, shaped by the simulator's rhythm)."""
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware (UTC)")
    start = end - span
    steps: list[Step] = []
    owed = 0.0
    for step_start, step_end in _hours(start, end):
        seconds = (step_end - step_start).total_seconds()
        owed += rate * simulator.intensity(step_start) * seconds
        count = int(owed)
        owed -= count
        steps.append(Step(step_start, step_end, count))
    return HistoryPlan(start, end, tuple(steps))


def history_batches(simulator: Simulator, plan: HistoryPlan) -> Iterator[list[RawMessage]]:
    """One batch of messages per step with messages, in arrival order (built lazily: a
    history of years is never held in memory)."""
    for step in plan.steps:
        if step.messages:
            yield simulator.messages(step.messages, step.end, window=step.end - step.start)


def _hours(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at every whole hour."""
    at = start
    while at < end:
        next_hour = at.replace(minute=0, second=0, microsecond=0) + HOUR
        step_end = min(next_hour, end)
        yield at, step_end
        at = step_end
