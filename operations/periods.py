"""The periods an operation is compared over, and the counts read for them.

While an operation runs, it is compared over the time elapsed — its incidents so far, the
current hour's included, so a new incident counts within seconds — with the same share of
its baseline (in whole hours), from the baseline's start (the same weekdays when the
baseline is the previous period or the same period last year), scaled when the two
periods differ in length; once it has ended, the whole periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import ceil

from aggregates.buckets import HOUR_S
from operations.evaluation import ZoneCounts
from operations.zones import ResolvedOperation, hours_of


@dataclass(frozen=True, slots=True)
class Periods:
    """Epoch-hour windows compared: the operation so far and the matching baseline."""

    operation: tuple[int, int]
    """Read up to the end of the current hour: what has happened so far."""
    baseline: tuple[int, int]
    operation_full: tuple[int, int]
    baseline_full: tuple[int, int]
    elapsed_hours: float
    """How long the operation has run (fractional; all of it once ended)."""

    @property
    def operation_hours(self) -> float:
        return self.elapsed_hours

    @property
    def baseline_hours(self) -> int:
        return self.baseline[1] - self.baseline[0]

    @property
    def complete(self) -> bool:
        return self.elapsed_hours >= self.operation_full[1] - self.operation_full[0]

    @property
    def started(self) -> bool:
        return self.elapsed_hours > 0


def periods_at(op: ResolvedOperation, now: datetime) -> Periods:
    """The windows to compare at ``now``: the operation's incidents so far (up to the end
    of the current hour) over the time elapsed, against the same share of the baseline in
    whole hours; the whole periods once the operation has ended."""
    start, end = hours_of(op.spec.period)
    b_start, b_end = hours_of(op.spec.baseline_period)
    elapsed = min(max(now.timestamp() / HOUR_S - start, 0.0), float(end - start))
    read_to = min(start + ceil(elapsed), end) if elapsed < end - start else end
    share = round(elapsed * (b_end - b_start) / (end - start))
    return Periods(
        operation=(start, read_to),
        baseline=(b_start, b_start + share),
        operation_full=(start, end),
        baseline_full=(b_start, b_end),
        elapsed_hours=elapsed,
    )


@dataclass(frozen=True, slots=True)
class OperationCounts:
    periods: Periods
    zones: dict[str, ZoneCounts]
    by_category: dict[str, dict[str, tuple[int, int]]]
    """zone -> category -> (baseline, operation)."""
