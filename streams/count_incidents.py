"""Job ``count_incidents``: canonical incidents -> every aggregate in Redis.

Idempotent by construction (see ``store.writer`` and ``aggregates.contributions``): a
redelivered version changes nothing, a higher version retracts the old contribution and
adds the new one everywhere, a lower version arriving late changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mode import CrashingSupervisor

from schemas.codec import ValidationError, decode_incident
from schemas.events import IncidentEvent
from streams.batching import process_batches
from streams.validate_incidents import ARRIVAL_HEADER

if TYPE_CHECKING:
    import faust

    from streams.app import JobContext

STAGE = "count_incidents"
log = logging.getLogger(__name__)


def register(app: faust.App, ctx: JobContext) -> None:
    @app.agent(ctx.incidents, name=STAGE, supervisor_strategy=CrashingSupervisor)
    async def count_incidents(stream: Any) -> None:
        async def handle(batch: Sequence[Any]) -> None:
            events = _decoded(batch)
            outcomes = await ctx.writer.apply(events)
            _observe(ctx, batch, events, outcomes)

        await process_batches(stream, ctx.settings, handle)


def _decoded(batch: Sequence[Any]) -> list[IncidentEvent]:
    events = []
    for event in batch:
        try:
            events.append(decode_incident(event.message.value))
        except ValidationError:
            # Only validate_incidents writes this topic; a fault here is a bug upstream.
            log.exception(
                "invalid event on the canonical topic",
                extra={"stage": STAGE, "offset": event.message.offset},
            )
    return events


def _observe(
    ctx: JobContext, batch: Sequence[Any], events: list[IncidentEvent], outcomes: Any
) -> None:
    now = time.time()
    metrics = ctx.metrics
    metrics.observe_batch_size(STAGE, len(batch))
    for (outcome, source), n in outcomes.items():
        if outcome == "late":
            metrics.late(source, n)
        else:
            metrics.events(STAGE, source, outcome, n)
    metrics.observe_latencies(STAGE, (now - arrival for e in batch if (arrival := _arrival_s(e))))
    for event in events:
        end = event.data.occurred.end or event.data.occurred.start
        metrics.observe_event_age(event.source.value, now - end.timestamp())


def _arrival_s(event: Any) -> float | None:
    headers = event.message.headers or ()
    pairs = headers.items() if isinstance(headers, dict) else headers
    for name, value in pairs:
        if name == ARRIVAL_HEADER:
            return int(value) / 1000
    return None
