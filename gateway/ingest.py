"""``POST /v1/events/{source}``: partner systems and field reports send records over HTTP.

The record takes the road every partner feed takes: it is published, as received, to the
source's raw topic, and the worker validates it there — the canonical topic or a dead
letter with its reason and original bytes, exactly as for a feed. The gateway runs the same
decision first (``streams.validation.classify``) so that it can answer at once:

- **202** once the broker has the record (acks from all replicas), with where it is;
- **422** with the dead-letter reason (``personal-data``, ``invalid``, ``out-of-range``...)
  and the field errors when it is not a valid event of that source (it is on the raw topic
  all the same, and the worker dead-letters it: nothing sent is lost);
- **403** when the caller's agreement does not let it publish for that source.

**Idempotency** (``Idempotency-Key`` header, required): the first request's response is
kept for ``KEEP_S`` (``ingest:<subscriber>:<digest>`` in Redis); a retry with the same key
and body gets the same response without publishing again (``Idempotent-Replayed: true``),
one with another body 422, and one while the first is still in flight 409.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from schemas.bounds import Bounds
from schemas.categories import Source
from schemas.topics import Topics
from store.keys import Keys
from streams.validation import Rejection, classify

KEEP_S = 24 * 3600
PENDING_S = 60
PENDING = b"pending"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


class Conflict(Exception):  # noqa: N818 - a state, not a failure of ours
    """A request with this Idempotency-Key is in progress, or had another body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Ingest:
    redis: Redis
    producer: Any  # a started aiokafka producer (acks="all")
    keys: Keys
    topics: Topics
    bounds: Bounds

    async def accept(
        self, subscriber: str, source: Source, idempotency_key: str, body: bytes
    ) -> Answer:
        slot = self.keys.ingest(subscriber, hashlib.sha256(idempotency_key.encode()).hexdigest())
        body_digest = hashlib.sha256(body).hexdigest()
        if not await self.redis.set(slot, PENDING, nx=True, ex=PENDING_S):
            return await self._replay(slot, body_digest)
        try:
            answer = await self._publish(source, body)
        except BaseException:
            await self.redis.delete(slot)  # not published: a retry may try again
            raise
        kept = {"status": answer.status, "body": answer.body, "digest": body_digest}
        await self.redis.set(slot, orjson.dumps(kept), ex=KEEP_S)
        return answer

    async def _replay(self, slot: str, body_digest: str) -> Answer:
        kept = await self.redis.get(slot)
        if kept is None or kept == PENDING:
            raise Conflict(409, "a request with this Idempotency-Key is still in progress")
        first = orjson.loads(kept)
        if first["digest"] != body_digest:
            raise Conflict(422, "this Idempotency-Key was used for another request body")
        return Answer(int(first["status"]), dict(first["body"]), replayed=True)

    async def _publish(self, source: Source, body: bytes) -> Answer:
        key = _record_key(body)
        verdict = classify(key, body, source, self.bounds)
        topic = self.topics.raw(source).name
        delivered = await self.producer.send_and_wait(topic, value=body, key=key)
        where = {"topic": topic, "partition": delivered.partition, "offset": delivered.offset}
        if isinstance(verdict, Rejection):
            return Answer(
                422,
                {
                    "error": verdict.detail,
                    "reason": verdict.reason.value,
                    "errors": verdict.errors,
                    "dead_lettered": True,
                    **where,
                },
            )
        return Answer(202, {"status": "accepted", "record_key": verdict.record_key, **where})


def _record_key(body: bytes) -> bytes | None:
    """The record_key of a JSON object body: the Kafka key feeds give it (None otherwise;
    validation then says what is wrong)."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    key = parsed.get("record_key") if isinstance(parsed, dict) else None
    return key.encode() if isinstance(key, str) and key else None
