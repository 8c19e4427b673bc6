"""Webhooks: each shared record POSTed to the subscriber's endpoint, signed to the Standard
Webhooks spec (standardwebhooks.com; its reference package signs).

Set with ``safer subscribers webhook NAME URL`` (the signing secret is shown once). The
gateway runs one deliverer per subscriber with a webhook: a consumer of its topic in a
group of its own (``<group>.webhook.<name>``), delivering in order, one message at a time:

- headers ``webhook-id`` (the record message's ``id``, the same on every retry, so the
  receiver can drop repeats), ``webhook-timestamp`` (seconds) and ``webhook-signature``
  (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` with the secret);
- any 2xx is delivered; anything else, a timeout or a refused connection is retried after
  each wait of ``SAFER_WEBHOOK_RETRY_S`` (default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
  10 h: about 28 hours, the spec's suggested schedule); a message still not delivered then
  is recorded as undeliverable (``webhook:<name>:failed`` in Redis: offset, id, reason)
  and the deliverer goes on with the next;
- **410 Gone** disables the endpoint at once (recorded in the subscribers file with the
  reason; setting the webhook again re-enables it) and the message is recorded as
  undeliverable.

The offset is committed after each message is delivered or recorded, so a restart goes on
where it was (at least once: a crash mid-delivery delivers that message again).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata
from redis.asyncio import Redis
from standardwebhooks import Webhook

from safer.settings import Settings
from schemas.topics import Topics
from sharing.registry import Subscriber, Subscribers
from store.keys import Keys

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0
FAILED_KEEP = 10_000
RECONCILE_S = 5.0


@dataclass(frozen=True, slots=True)
class Outcome:
    delivered: bool
    reason: str
    gone: bool = False


class Webhooks:
    """Keeps one deliverer running per subscriber with an enabled webhook."""

    def __init__(self, settings: Settings, registry: Subscribers, redis: Redis) -> None:
        self.settings = settings
        self.registry = registry
        self.redis = redis
        self.running: dict[str, tuple[tuple[str, str], asyncio.Task[None]]] = {}

    async def run(self) -> None:
        try:
            while True:
                self.reconcile()
                await asyncio.sleep(RECONCILE_S)
        finally:
            for _, task in self.running.values():
                task.cancel()
            await asyncio.gather(*(t for _, t in self.running.values()), return_exceptions=True)

    def reconcile(self) -> None:
        wanted = {
            s.name: s
            for s in self.registry.load().values()
            if s.active and s.webhook_url and s.webhook_secret and not s.webhook_disabled
        }
        for name, (endpoint, task) in list(self.running.items()):
            sub = wanted.get(name)
            if sub is None or (sub.webhook_url, sub.webhook_secret) != endpoint or task.done():
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error(
                        "webhook deliverer failed; starting it again",
                        extra={"subscriber": name, "error": repr(task.exception())},
                    )
                task.cancel()
                del self.running[name]
        for name, sub in wanted.items():
            if name not in self.running:
                deliverer = Deliverer(self.settings, sub, self.registry, self.redis)
                endpoint = (str(sub.webhook_url), str(sub.webhook_secret))
                self.running[name] = (endpoint, asyncio.ensure_future(deliverer.run()))


class Deliverer:
    def __init__(
        self, settings: Settings, subscriber: Subscriber, registry: Subscribers, redis: Redis
    ) -> None:
        self.settings = settings
        self.subscriber = subscriber
        self.registry = registry
        self.redis = redis
        self.url = str(subscriber.webhook_url)
        self.signer = Webhook(str(subscriber.webhook_secret))
        self.topic = Topics(settings.topic_prefix).subscriber(subscriber.name).name
        self.failed_key = Keys(settings.redis_prefix).webhook_failed(subscriber.name)

    async def run(self) -> None:
        name = self.subscriber.name
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.settings.require_kafka(),
            group_id=f"{self.settings.consumer_group}.webhook.{name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms,
            session_timeout_ms=int(self.settings.session_timeout_s * 1000),
        )
        await consumer.start()
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as client:
                while True:
                    batch = await consumer.getmany(timeout_ms=1000, max_records=100)
                    for tp, records in batch.items():
                        for record in records:
                            outcome = await self.deliver(client, record.value)
                            if not outcome.delivered:
                                await self._undeliverable(record.offset, record.value, outcome)
                            await consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
                            if outcome.gone:
                                return
        finally:
            await consumer.stop()

    async def deliver(self, client: httpx.AsyncClient, body: bytes) -> Outcome:
        """One message, retried on the schedule; 410 stops at once."""
        msg_id = str(orjson.loads(body).get("id", "")) or "unknown"
        waits = [0.0, *self.settings.webhook_retry_s]
        outcome = Outcome(False, "not tried")
        for attempt, wait in enumerate(waits, start=1):
            if wait:
                await asyncio.sleep(wait)
            outcome = await self._attempt(client, msg_id, body)
            if outcome.delivered:
                return outcome
            if outcome.gone:
                reason = f"410 Gone at {datetime.now(UTC).isoformat(timespec='seconds')}"
                self.registry.disable_webhook(self.subscriber.name, reason)
                log.warning(
                    "webhook endpoint gone: disabled",
                    extra={"subscriber": self.subscriber.name, "url": self.url},
                )
                return outcome
            log.info(
                "webhook delivery failed",
                extra={
                    "subscriber": self.subscriber.name,
                    "attempt": attempt,
                    "reason": outcome.reason,
                },
            )
        return outcome

    async def _attempt(self, client: httpx.AsyncClient, msg_id: str, body: bytes) -> Outcome:
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(msg_id, now, body),
        }
        try:
            response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(False, f"{type(exc).__name__}: {exc}"[:300])
        if 200 <= response.status_code < 300:
            return Outcome(True, str(response.status_code))
        return Outcome(False, f"HTTP {response.status_code}", gone=response.status_code == 410)

    async def _undeliverable(self, offset: int, body: bytes, outcome: Outcome) -> None:
        entry: dict[Any, Any] = {
            "offset": offset,
            "id": str(orjson.loads(body).get("id", "")),
            "reason": outcome.reason,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "url": self.url,
        }
        await self.redis.xadd(self.failed_key, entry, maxlen=FAILED_KEEP, approximate=True)
        log.warning(
            "webhook message undeliverable", extra={"subscriber": self.subscriber.name, **entry}
        )
