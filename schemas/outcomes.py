"""What happened to a message at each stage: the outcome labels of the worker's metrics and
of the store's outcome counters (``stats:outcomes``), in one enum.

Validation: ``validated`` (sent on to the canonical topic) or ``dead-lettered`` (with a
``schemas.deadletter.RejectReason``). Counting: ``counted`` (a record's first version),
``corrected`` (a later version replaced its contribution), ``cancelled`` (withdrawn),
``duplicate`` (the stored version again), ``stale`` (an older version: changes nothing);
besides those, ``late`` (applied after its source's grace period) and ``out-of-area``
(kept on the canonical topic, counted in no area of the partnership).
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    VALIDATED = "validated"
    DEAD_LETTERED = "dead-lettered"
    COUNTED = "counted"
    CORRECTED = "corrected"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"
    STALE = "stale"
    LATE = "late"
    OUT_OF_AREA = "out-of-area"


COUNT_OUTCOMES = frozenset(
    {Outcome.COUNTED, Outcome.CORRECTED, Outcome.CANCELLED, Outcome.DUPLICATE, Outcome.STALE}
)
"""The count stage's outcomes of a valid event: exactly one per event (``late`` and
``out-of-area`` are counted besides one of these)."""
