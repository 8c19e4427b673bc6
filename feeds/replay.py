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
        if not ordered:
            return 0
        waves, offset, previous = 0, 0.0, ordered[0].at
        start = self._clock()
        i = 0
        while i < len(ordered):
            gap = (ordered[i].at - previous).total_seconds() / self.speed
            offset += min(gap, self.max_gap_s)
            previous = ordered[i].at
            wait = start + offset - self._clock()
            if wait > 0:
                self._sleep(wait)
            due = [ordered[i]]
            i += 1
            while i < len(ordered) and ordered[i].at == previous:
                due.append(ordered[i])
                i += 1
            now = self._clock() - start
            while i < len(ordered):  # everything else already due by now goes with it
                gap = (ordered[i].at - previous).total_seconds() / self.speed
                if offset + min(gap, self.max_gap_s) > now:
                    break
                offset += min(gap, self.max_gap_s)
                previous = ordered[i].at
                due.append(ordered[i])
                i += 1
            send(due)
            waves += 1
        return waves
