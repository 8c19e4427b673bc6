"""Stage ``count_incidents``: validated events -> every aggregate in Redis.

Runs inside the ``validate_incidents`` agent on the same batch, after the batch's
canonical messages are delivered (so the log always holds what Redis counts, and Redis
can be rebuilt from it), and before the batch is marked processed. In two steps: ``plan``
reads the records' stored states and works out the batch's effects (after the previous
batch's are stored), ``count`` stores them (while the next batch is being validated).
Idempotent by construction (see ``store.writer``): a redelivered version changes nothing,
a higher version retracts the old contribution and adds the new one everywhere, a lower
version arriving late changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from aggregates.inputs import Doc, parse_time
from schemas.outcomes import Outcome
from store.writer import Planned, Poison
from streams.context import JobContext
from streams.validation import is_unavailable

STAGE = "count_incidents"


async def plan(ctx: JobContext, events: Sequence[Doc]) -> Planned:
    """The effects of a batch of valid canonical events, against what Redis holds now (a
    batch that cannot be planned is stored event by event by ``count``)."""
    return await ctx.writer.plan_canonical(events, fatal=is_unavailable)


async def count(ctx: JobContext, planned: Planned, arrivals: Sequence[float]) -> list[Poison]:
    """Store a planned batch; ``arrivals`` are its raw messages' broker times (s). Returns
    the events that could not be stored (each alone raised; the rest of the batch is
    stored): the caller dead-letters them. Redis unavailable raises."""
    outcomes, poison = await ctx.writer.execute_isolating(planned, is_unavailable)
    now = time.time()
    metrics = ctx.metrics
    skipped = {id(p.doc) for p in poison}
    events = [doc for doc in planned.docs if id(doc) not in skipped]
    metrics.observe_batch_size(STAGE, len(events))
    for (outcome, source), n in outcomes.items():
        if outcome == Outcome.LATE:
            metrics.late(source, n)
        elif outcome == Outcome.OUT_OF_AREA:
            metrics.out_of_area(source, n)
        else:
            metrics.events(STAGE, source, outcome, n)
    metrics.observe_latencies(STAGE, (now - arrival for arrival in arrivals))
    ages: dict[str, list[float]] = {}
    for event in events:
        occurred = event["data"]["occurred"]
        end = parse_time(occurred.get("end") or occurred["start"])
        ages.setdefault(event["source"], []).append(now - end.timestamp())
    for source, seconds in ages.items():
        metrics.observe_event_ages(source, seconds)
    return poison
