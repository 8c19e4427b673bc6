"""Job ``count_incidents``: canonical incidents -> live counts per source × ward × category.

Idempotent by construction (see ``store/apply_incident.lua``): a redelivered version
changes nothing, a higher version retracts the old contribution and adds the new one,
a lower version arriving late changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from safer.settings import Settings
from schemas.codec import ValidationError, decode_incident
from store.writer import StoreWriter

if TYPE_CHECKING:
    import faust

    from streams.app import AppTopics

STAGE = "count_incidents"
log = logging.getLogger(__name__)


def register(app: faust.App, bound: AppTopics, writer: StoreWriter, settings: Settings) -> None:
    @app.agent(bound.incidents, name=STAGE)
    async def count_incidents(stream: Any) -> None:
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_s):
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
            result = await writer.apply_incidents(events)
            log.debug("batch applied", extra={"stage": STAGE, **result})
