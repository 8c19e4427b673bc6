"""The periods an operation is compared over, and the counts read for them.

While an operation runs, it is compared over its elapsed hours with the same share of its
baseline, from the baseline's start (the same weekdays when the baseline is the previous
period or the same period last year), scaled when the two periods differ in length; once
it has ended, the whole periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import floor

from aggregates.buckets import HOUR_S
from operations.evaluation import ZoneCounts
from operations.zones import ResolvedOperation, hours_of


@dataclass(frozen=True, slots=True)
class Periods:
    """Epoch-hour windows compared: the operation so far and the matching baseline."""

    operation: tuple[int, int]
    baseline: tuple[int, int]
    operation_full: tuple[int, int]
    baseline_full: tuple[int, int]

    @property
    def operation_hours(self) -> int:
        return self.operation[1] - self.operation[0]

    @property
    def baseline_hours(self) -> int:
        return self.baseline[1] - self.baseline[0]

    @property
    def complete(self) -> bool:
        return self.operation == self.operation_full

    @property
    def started(self) -> bool:
        return self.operation_hours > 0


def periods_at(op: ResolvedOperation, now: datetime) -> Periods:
    """The windows to compare at ``now`` (whole hours elapsed; the whole periods once the
    operation has ended)."""
    start, end = hours_of(op.spec.period)
    b_start, b_end = hours_of(op.spec.baseline_period)
    hour = floor(now.timestamp() / HOUR_S)
    elapsed = min(max(hour - start, 0), end - start)
    share = round(elapsed * (b_end - b_start) / (end - start))
    return Periods(
        operation=(start, start + elapsed),
        baseline=(b_start, b_start + share),
        operation_full=(start, end),
        baseline_full=(b_start, b_end),
    )


@dataclass(frozen=True, slots=True)
class OperationCounts:
    periods: Periods
    zones: dict[str, ZoneCounts]
    by_category: dict[str, dict[str, tuple[int, int]]]
    """zone -> category -> (baseline, operation)."""
