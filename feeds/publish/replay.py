"""Replaying history faster than real time, in event-time order.

``Replay(speed)`` publishes a set of messages so that the gap between two events' times
is reproduced ``speed`` times faster: an event that happened an hour after the first one
goes out ``3600 / speed`` seconds after the first one. Messages falling due together go
out together (one publish per wave), and waits are capped so that a sparse history does
not stall for long.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar


class Timed(Protocol):
    @property
    def at(self) -> datetime: ...


T = TypeVar("T", bound=Timed)


class Replay:
    def __init__(
        self,
        speed: float,
        max_gap_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed <= 0:
            raise ValueError("replay speed must be positive")
        self.speed = speed
        self.max_gap_s = max_gap_s
        self._clock = clock
        self._sleep = sleep

    def run(self, items: Sequence[T], send: Callable[[list[T]], None]) -> int:
        """Send every item in event-time order at the replay's pace; returns the waves sent.
        A gap between consecutive events longer than ``max_gap_s`` after scaling is cut to
        it (a month-long lull is not waited out)."""
        ordered = sorted(items, key=lambda item: item.at)
        offsets: list[float] = []  # seconds after the first event at which each is due
        offset = 0.0
        for previous, item in zip(ordered[:1] + ordered, ordered, strict=False):
            offset += min((item.at - previous.at).total_seconds() / self.speed, self.max_gap_s)
            offsets.append(offset)
        start = self._clock()
        waves = i = 0
        while i < len(ordered):
            wait = start + offsets[i] - self._clock()
            if wait > 0:
                self._sleep(wait)
            due_by = max(self._clock() - start, offsets[i])  # everything due by now goes too
            j = i + 1
            while j < len(ordered) and offsets[j] <= due_by:
                j += 1
            send(list(ordered[i:j]))
            waves += 1
            i = j
        return waves
