"""At-least-once batches for faust agents.

faust's ``Stream.take_events`` acknowledges a batch in a ``finally`` clause, so a batch
whose processing raised is acknowledged (and its offsets committed) anyway — an event
would be lost. Jobs therefore take events with ``noack_take`` and acknowledge a batch only
after its effects are stored; when processing raises, nothing is acknowledged, the agent
crashes the worker (``CrashingSupervisor``), and the batch is delivered again on restart.
Commits follow what was processed, never faust's acknowledgements alone (see
``streams.transport``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from safer.settings import Settings
from streams.transport import mark_processed

Handler = Callable[[Sequence[Any]], Awaitable[None]]


async def process_batches(stream: Any, settings: Settings, handle: Handler) -> None:
    """Run ``handle`` on each batch of events, then acknowledge the batch (for ever)."""
    async for events in stream.noack_take(settings.batch_size, within=settings.batch_within_s):
        await handle(events)
        for event in events:
            await stream.ack(event)
        mark_processed(stream.app.consumer, (event.message for event in events))
