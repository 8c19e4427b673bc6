"""Job ``validate_incidents``: raw partner topics -> canonical incident topic / dead letters,
then the batch's valid events are counted (``streams.count_incidents``) in the same pass
(planned once the previous batch is stored, stored while the next batch is validated).

At-least-once (see ``streams.batching``): a batch is marked processed only after its
canonical and dead-letter messages are delivered and its outcome counters are stored.
Counters are guarded by offset, so a replayed batch changes no count (the canonical
topic may carry a duplicate, which the counting job recognises by record_key and
version). Latency is measured from the raw message's broker timestamp (arrival) to
visible in Redis.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from mode import CrashingSupervisor

from aggregates.inputs import Doc
from schemas.categories import Source
from schemas.codec import encode_incident
from schemas.deadletter import DeadLetter
from store.writer import Planned, StageOutcome
from streams import count_incidents
from streams.batching import process_batches
from streams.produce import BatchSender, aiokafka_of
from streams.transport import fetched_batches
from streams.validation import Rejection, classify

if TYPE_CHECKING:
    import faust

    from streams.app import JobContext

STAGE = "validate_incidents"
log = logging.getLogger(__name__)


def register(app: faust.App, ctx: JobContext) -> None:
    source_of = {ctx.topics.raw(source).name: source for source in Source}

    @app.agent(ctx.raw, name=STAGE, supervisor_strategy=CrashingSupervisor)
    async def validate_incidents(stream: Any) -> None:
        async def route(batch: Sequence[Any]) -> Routed:
            return await _route(batch, ctx, source_of)

        async def prepare(routed: Routed) -> tuple[Routed, Planned]:
            return routed, await count_incidents.plan(ctx, routed.valid)

        async def store(prepared: tuple[Routed, Planned]) -> None:
            routed, planned = prepared
            await count_incidents.count(ctx, planned, routed.arrivals)
            await ctx.writer.record_outcomes(STAGE, routed.outcomes)
            _observe(ctx, routed.outcomes)

        batches = fetched_batches(stream)
        await process_batches(batches, ctx.settings.batch_size, route, prepare, store)


class Routed(NamedTuple):
    """A routed batch (its messages delivered to the canonical or dead-letter topic)."""

    outcomes: list[StageOutcome]  # each message's
    valid: list[Doc]  # the valid events as canonical JSON (what the log now holds)
    arrivals: list[float]  # their raw messages' broker times (s)


async def _route(batch: Sequence[Any], ctx: JobContext, source_of: dict[str, Source]) -> Routed:
    """Send every message of a batch on; once all are delivered, returns each one's outcome,
    the valid events as canonical JSON (what the log now holds) and their arrival times."""
    out = BatchSender(aiokafka_of(ctx.producer))
    outcomes = []
    valid: list[Doc] = []
    arrivals: list[float] = []
    for msg in batch:
        expected = source_of.get(msg.topic)
        result = classify(msg.key, msg.value, expected)
        source = expected.value if expected else "unknown"
        if isinstance(result, Rejection):
            value = _dead_letter(msg, result)
            await out.add(ctx.topics.deadletter.name, msg.key, value)
            _log_rejection(msg, result)
            outcomes.append(_outcome(msg, source, "dead-lettered", result.reason.value))
        else:
            key = result.record_key.encode()
            value = encode_incident(result)
            await out.add(ctx.topics.incidents.name, key, value)
            outcomes.append(_outcome(msg, source, "validated"))
            valid.append(orjson.loads(value))
            arrivals.append(msg.timestamp)
    await out.flush()  # every message delivered before the batch is marked processed
    return Routed(outcomes, valid, arrivals)


def _observe(ctx: JobContext, outcomes: list[StageOutcome]) -> None:
    """The batch's outcomes in the metrics (one increment per label set, not per message)."""
    metrics = ctx.metrics
    metrics.observe_batch_size(STAGE, len(outcomes))
    for (source, outcome), n in Counter((o.source, o.outcome) for o in outcomes).items():
        metrics.events(STAGE, source, outcome, n)
    reasons = Counter((o.source, o.reason) for o in outcomes if o.reason)
    for (source, reason), n in reasons.items():
        metrics.dead_lettered(source, reason, n)


def _outcome(msg: Any, source: str, outcome: str, reason: str | None = None) -> StageOutcome:
    return StageOutcome(msg.topic, msg.partition, msg.offset, source, outcome, reason)


def _dead_letter(msg: Any, rejection: Rejection) -> bytes:
    record = DeadLetter.build(
        reason=rejection.reason,
        detail=rejection.detail,
        errors=rejection.errors,
        stage=STAGE,
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        key=msg.key,
        value=msg.value if isinstance(msg.value, bytes) else bytes(msg.value or b""),
        rejected_at=datetime.now(UTC),
    )
    return record.model_dump_json().encode()


def _log_rejection(msg: Any, rejection: Rejection) -> None:
    log.warning(
        "message dead-lettered",
        extra={
            "stage": STAGE,
            "topic": msg.topic,
            "partition": msg.partition,
            "offset": msg.offset,
            "reason": rejection.reason.value,
            "detail": rejection.detail,
        },
    )
