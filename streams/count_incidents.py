"""Stage ``count_incidents``: validated events -> every aggregate in Redis.

Runs inside the ``validate_incidents`` agent on the same batch, after the batch's
canonical messages are delivered (so the log always holds what Redis counts, and Redis
can be rebuilt from it), and before the batch is marked processed. Idempotent by
construction (see ``store.writer``): a redelivered version changes nothing, a higher
version retracts the old contribution and adds the new one everywhere, a lower version
arriving late changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aggregates.inputs import Doc, parse_time
from store.plan import OUT_OF_AREA

if TYPE_CHECKING:
    from streams.app import JobContext

STAGE = "count_incidents"


async def count(ctx: JobContext, events: Sequence[Doc], arrivals: Sequence[float]) -> None:
    """Apply a batch of valid canonical events; ``arrivals`` are their raw messages' broker
    times (s)."""
    outcomes = await ctx.writer.apply_canonical(events)
    now = time.time()
    metrics = ctx.metrics
    metrics.observe_batch_size(STAGE, len(events))
    for (outcome, source), n in outcomes.items():
        if outcome == "late":
            metrics.late(source, n)
        elif outcome == OUT_OF_AREA:
            metrics.out_of_area(source, n)
        else:
            metrics.events(STAGE, source, outcome, n)
    metrics.observe_latencies(STAGE, (now - arrival for arrival in arrivals))
    for event in events:
        occurred = event["data"]["occurred"]
        end = parse_time(occurred.get("end") or occurred["start"])
        metrics.observe_event_age(event["source"], now - end.timestamp())
