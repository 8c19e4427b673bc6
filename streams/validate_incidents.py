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
from bus.produce import BatchSender, aiokafka_of
from schemas.categories import Source
from schemas.codec import encode_incident
from schemas.deadletter import DeadLetter
from schemas.events import IncidentEvent
from schemas.outcomes import Outcome
from store.writer import Planned, Poison, StageOutcome
from streams import count_incidents
from streams.batching import process_batches
from streams.context import JobContext
from streams.transport import fetched_batches
from streams.validation import Rejection, classify, processing_error

if TYPE_CHECKING:
    import faust


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
            poison = await count_incidents.count(ctx, planned, routed.arrivals)
            outcomes = await _dead_letter_poison(ctx, routed, poison) if poison else routed.outcomes
            await ctx.writer.record_outcomes(STAGE, outcomes)
            _observe(ctx, outcomes)

        batches = fetched_batches(stream)
        await process_batches(batches, ctx.settings.batch_size, route, prepare, store)


class Routed(NamedTuple):
    """A routed batch (its messages delivered to the canonical or dead-letter topic)."""

    outcomes: list[StageOutcome]  # each message's
    valid: list[Doc]  # the valid events as canonical JSON (what the log now holds)
    arrivals: list[float]  # their raw messages' broker times (s)
    origins: list[tuple[Any, int]]  # their raw messages and the index of their outcome


async def _route(batch: Sequence[Any], ctx: JobContext, source_of: dict[str, Source]) -> Routed:
    """Send every message of a batch on; once all are delivered, returns each one's outcome,
    the valid events as canonical JSON (what the log now holds) and their arrival times."""
    out = BatchSender(aiokafka_of(ctx.producer))
    routed = Routed([], [], [], [])
    for msg in batch:
        expected = source_of.get(msg.topic)
        source = expected.value if expected else "unknown"
        result = _canonical(classify(msg.key, msg.value, expected, ctx.bounds))
        if isinstance(result, Rejection):
            await _reject(out, ctx, msg, source, result, routed.outcomes)
        else:
            key, value, doc = result
            await out.add(ctx.topics.incidents.name, key, value)
            routed.origins.append((msg, len(routed.outcomes)))
            routed.outcomes.append(_outcome(msg, source, Outcome.VALIDATED))
            routed.valid.append(doc)
            routed.arrivals.append(msg.timestamp)
    await out.flush()  # every message delivered before the batch is marked processed
    return routed


def _canonical(result: IncidentEvent | Rejection) -> tuple[bytes, bytes, Doc] | Rejection:
    """A valid event's key, canonical JSON and its document; total like ``classify``."""
    if isinstance(result, Rejection):
        return result
    try:
        value = encode_incident(result)
        return result.record_key.encode(), value, orjson.loads(value)
    except Exception as exc:  # noqa: BLE001 - the policy: one message never stops the stream
        return processing_error(exc)


async def _reject(
    out: BatchSender,
    ctx: JobContext,
    msg: Any,
    source: str,
    rejection: Rejection,
    outcomes: list[StageOutcome],
) -> None:
    await out.add(ctx.topics.deadletter.name, msg.key, _dead_letter(msg, rejection))
    _log_rejection(msg, rejection)
    outcomes.append(_outcome(msg, source, Outcome.DEAD_LETTERED, rejection.reason.value))


async def _dead_letter_poison(
    ctx: JobContext, routed: Routed, poison: list[Poison]
) -> list[StageOutcome]:
    """Dead-letter the valid events the counting stage could not store (with their raw
    message's bytes and position); returns the batch's outcomes with theirs changed."""
    origin = {id(doc): routed.origins[i] for i, doc in enumerate(routed.valid)}
    outcomes = list(routed.outcomes)
    out = BatchSender(aiokafka_of(ctx.producer))
    for p in poison:
        msg, index = origin[id(p.doc)]
        rejection = processing_error(p.error)
        source = outcomes[index].source
        outcomes[index] = _outcome(msg, source, Outcome.DEAD_LETTERED, rejection.reason.value)
        await out.add(ctx.topics.deadletter.name, msg.key, _dead_letter(msg, rejection))
        _log_rejection(msg, rejection)
    await out.flush()
    return outcomes


def _observe(ctx: JobContext, outcomes: list[StageOutcome]) -> None:
    """The batch's outcomes in the metrics (one increment per label set, not per message)."""
    metrics = ctx.metrics
    metrics.observe_batch_size(STAGE, len(outcomes))
    for (source, outcome), n in Counter((o.source, o.outcome) for o in outcomes).items():
        metrics.events(STAGE, source, outcome, n)
    reasons = Counter((o.source, o.reason) for o in outcomes if o.reason)
    for (source, reason), n in reasons.items():
        metrics.dead_lettered(source, reason, n)


def _outcome(msg: Any, source: str, outcome: Outcome, reason: str | None = None) -> StageOutcome:
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
        value=msg.value if isinstance(msg.value, bytes) else b"",
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
