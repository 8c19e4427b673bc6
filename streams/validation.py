"""The skip-to-dead-letter policy, decided in one place, as pure functions.

Content faults are the message's fault: it is dead-lettered with a reason of its own
(``schemas.deadletter.RejectReason``) and the stream goes on. That covers a null or empty
value, bytes that are not JSON or not an object, schema violations, values outside the
contract's bounds, personal data in a field, a missing Kafka key or one other than the
record_key, an event on another source's raw topic — and any exception raised while one
event is decoded, planned or applied (``processing-error``: ``classify`` is total, and the
counting stage isolates a failing event by splitting its batch, see
``streams.count_incidents``).

Infrastructure faults are raised (``is_unavailable``): Kafka or Redis unreachable, Redis
loading, read-only, out of memory or busy. The batch is then not marked processed and is
retried after a restart; splitting a batch because Redis is down would dead-letter good
events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis import exceptions as redis_errors

from schemas.bounds import DEFAULT_BOUNDS, OUT_OF_RANGE, Bounds
from schemas.categories import Source
from schemas.codec import ValidationError, decode_incident, error_list
from schemas.deadletter import RejectReason
from schemas.events import PERSONAL_DATA_ERROR, IncidentEvent
from store.writer import ConcurrentUpdateError

_RANGE_ERRORS = frozenset(
    {OUT_OF_RANGE, "greater_than_equal", "less_than_equal", "greater_than", "less_than"}
)
_NOT_JSON = frozenset({"json_invalid", "json_type"})
DETAIL_LIMIT = 500  # characters of an exception's message kept in a dead letter


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: RejectReason
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)


def classify(
    key: bytes | None,
    value: bytes | None,
    expected: Source | None,
    bounds: Bounds = DEFAULT_BOUNDS,
) -> IncidentEvent | Rejection:
    """Decode one raw message into a typed event, or say why it is rejected. Total: any
    exception becomes a ``processing-error`` rejection."""
    try:
        return _classify(key, value, expected, bounds)
    except Exception as exc:  # noqa: BLE001 - the policy: one message never stops the stream
        return processing_error(exc)


def processing_error(exc: BaseException) -> Rejection:
    """The rejection of an event whose processing raised ``exc`` (type and message)."""
    detail = f"{type(exc).__name__}: {exc}"[:DETAIL_LIMIT]
    return Rejection(RejectReason.PROCESSING_ERROR, detail)


def _classify(
    key: bytes | None, value: bytes | None, expected: Source | None, bounds: Bounds
) -> IncidentEvent | Rejection:
    if value is None:
        return Rejection(RejectReason.NULL_VALUE, "a null value (a tombstone) is not an event")
    if not value:
        return Rejection(RejectReason.EMPTY, "an empty message is not an event")
    try:
        event = decode_incident(value, bounds)
    except ValidationError as exc:
        return _invalid(error_list(exc))
    if not key:
        return Rejection(RejectReason.MISSING_KEY, "no Kafka key (it must be the record_key)")
    if key != event.record_key.encode():
        return Rejection(RejectReason.KEY_MISMATCH, "Kafka key differs from record_key")
    if expected is not None and event.source is not expected:
        detail = f"a {event.source.value} event on the {expected.value} raw topic"
        return Rejection(RejectReason.SOURCE_MISMATCH, detail)
    return event


def _invalid(errors: list[dict[str, Any]]) -> Rejection:
    """The reason of a validation failure: the bytes, the shape, or the fields."""
    first = errors[0] if errors else {"type": "", "loc": "", "msg": ""}
    if first["type"] in _NOT_JSON:
        return Rejection(RejectReason.NOT_JSON, f"not JSON: {first['msg']}", errors)
    if first["loc"] == "" and first["type"] == "dict_type":
        return Rejection(RejectReason.NOT_OBJECT, "JSON, but not an object", errors)
    types = {e["type"] for e in errors}
    if PERSONAL_DATA_ERROR in types:
        reason = RejectReason.PERSONAL_DATA
    elif types <= _RANGE_ERRORS:
        reason = RejectReason.OUT_OF_RANGE
    else:
        reason = RejectReason.INVALID
    return Rejection(reason, _summary(errors), errors)


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [f"{e['loc'] or '<root>'}: {e['msg']}" for e in errors[:5]]
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return f"{len(errors)} invalid field(s): " + "; ".join(parts) + more


_UNAVAILABLE = (
    redis_errors.ConnectionError,  # includes redis' TimeoutError and BusyLoadingError
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    redis_errors.MasterDownError,
    redis_errors.TryAgainError,
    redis_errors.ClusterDownError,
    redis_errors.AuthenticationError,
    redis_errors.NoPermissionError,
    ConnectionError,  # the built-in: a socket reset, refused or broken (not every OSError:
    TimeoutError,  # datetime raises OSError on a value out of range, which is poison)
    ConcurrentUpdateError,  # another worker owns the records (a rebalance): not their fault
)
_UNAVAILABLE_REPLIES = ("BUSY", "LOADING", "OOM", "READONLY", "MASTERDOWN", "NOREPLICAS")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the infrastructure is unavailable (retry the batch later) rather
    than that something in the batch cannot be processed (find it and dead-letter it)."""
    if not isinstance(exc, Exception) or isinstance(exc, _UNAVAILABLE):
        return True
    if isinstance(exc, redis_errors.ResponseError):
        return str(exc).startswith(_UNAVAILABLE_REPLIES)
    return type(exc).__module__.split(".")[0] in {"aiokafka", "kafka"}
