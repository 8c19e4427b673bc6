"""Job ``count_incidents``: canonical incidents -> live counts per source × ward × category.

Idempotent by construction (see ``store/apply_incident.lua``): a redelivered version
changes nothing, a higher version retracts the old contribution and adds the new one,
a lower version arriving late changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mode import CrashingSupervisor

from safer.settings import Settings
from schemas.codec import ValidationError, decode_incident
from schemas.events import IncidentEvent
from store.writer import AggregateWriter
from streams.batching import process_batches

if TYPE_CHECKING:
    import faust

    from streams.app import AppTopics

STAGE = "count_incidents"
log = logging.getLogger(__name__)


def register(app: faust.App, bound: AppTopics, writer: AggregateWriter, settings: Settings) -> None:
    @app.agent(bound.incidents, name=STAGE, supervisor_strategy=CrashingSupervisor)
    async def count_incidents(stream: Any) -> None:
        async def handle(batch: Sequence[Any]) -> None:
            result = await writer.apply(_decoded(batch))
            log.debug("batch applied", extra={"stage": STAGE, "outcomes": dict(result)})

        await process_batches(stream, settings, handle)


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
