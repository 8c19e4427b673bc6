"""The subscriber gateway: an ASGI app (FastAPI) for systems that do not speak Kafka.

Paths (all under ``/v1``, authenticated by ``Authorization: Bearer <key>`` but health):

- ``GET /v1/stream`` — Server-Sent Events of the caller's topic (``safer.sub.<name>.v1``,
  its view under its sharing agreement): one event per message, ``id`` = its offset,
  ``event: record``, ``data`` = the SharedRecord JSON. Resume with ``Last-Event-ID`` (the
  header browsers' EventSource send by themselves, or ``?last_event_id=``): the stream goes
  on after that message, losing and repeating nothing. Without one it starts at the
  beginning (``?from=end``: only what comes next). A rebuilt topic (the agreement changed)
  ends the stream with ``event: rebuilt``: start again from the beginning.
- ``POST /v1/events/{source}`` — a partner system or field report sends one record
  (``gateway.ingest``: 202 once the broker has it, 422 with the dead-letter reason,
  ``Idempotency-Key`` required).
- webhooks: each shared record POSTed to the subscriber's endpoint, signed to the Standard
  Webhooks spec (``gateway.webhooks``), by the deliverers this app runs.
- ``GET /v1/counts?level=ward&window=28d`` — counts per area and category under the
  caller's agreement, small counts protected as it says (``gateway.counts``).
- ``GET /v1/report`` — the field report form for wardens' and patrols' phones
  (``gateway.field``), posting through the ingest endpoint.
- ``GET /metrics`` — Prometheus: each subscriber's feed, webhook and stream lag
  (``gateway.metrics``).
- ``GET /v1/openapi.json`` — this API's OpenAPI document; ``GET /v1/asyncapi.json`` — the
  AsyncAPI document of this deployment's topics (its prefix and partitions); ``GET
  /v1/health``.

Every error is JSON ``{"error": "..."}`` with its status — never a stack trace. Requests
are limited per key (``gateway.access.RateLimits``) and in size (``SAFER_GATEWAY_MAX_BODY``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from sse_starlette import EventSourceResponse, ServerSentEvent

from aggregates.periods import FIXED_BY_SLUG
from gateway import field
from gateway.access import RECHECK_S, Caller, KeyRing, RateLimits
from gateway.http import PAGE_HEADERS, BodyLimit, json_errors
from gateway.ingest import Conflict, Ingest
from gateway.metrics import SubscriberMetrics
from gateway.tail import RebuiltError, Tails
from gateway.webhooks import Webhooks
from geography.areas import Areas, load_areas
from safer.settings import Settings
from schemas.asyncapi import document
from schemas.bounds import Bounds
from schemas.categories import Source
from schemas.topics import Topics
from sharing.counts import agreed_cells, caveat, disclosed, levels_allowed
from sharing.registry import Subscribers
from sharing.view import agreed_wards
from store.keys import Keys
from store.reader import StoreReader

log = logging.getLogger(__name__)
PING_S = 15


@dataclass
class Gateway:
    """What the app's requests share."""

    settings: Settings
    keys: KeyRing
    limits: RateLimits
    tails: Tails
    topics: Topics
    reader: StoreReader
    areas: Areas
    ingest: Ingest | None = None
    metrics: SubscriberMetrics | None = None
    open_streams: dict[str, dict[int, int]] = dataclasses.field(default_factory=dict)
    """Per subscriber, each open stream's next position (for its lag)."""

    def stream_lags(self, subscriber: str) -> list[int]:
        tail = self.tails.of(self.topics.subscriber(subscriber).name)
        return [max(0, tail.latest - p) for p in self.open_streams.get(subscriber, {}).values()]

    @classmethod
    def of(cls, settings: Settings) -> Gateway:
        areas = load_areas(settings.partnership)
        registry = Subscribers(settings.subscribers_path, settings.agreements_path, areas)
        return cls(
            settings,
            KeyRing(registry),
            RateLimits(settings.gateway_rate, settings.gateway_burst),
            Tails(settings.require_kafka()),
            Topics(settings.topic_prefix),
            StoreReader.of(SyncRedis.from_url(settings.require_redis()), settings),
            areas,
        )


def create_app(settings: Settings) -> FastAPI:
    gateway = Gateway.of(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis: Redis = Redis.from_url(settings.require_redis())
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.require_kafka(), acks="all", linger_ms=2
        )
        await producer.start()
        gateway.ingest = Ingest(
            redis,
            producer,
            Keys(settings.redis_prefix),
            gateway.topics,
            Bounds.of(settings.earliest_event, settings.future_skew_s, settings.max_interval_days),
        )
        webhooks = asyncio.ensure_future(Webhooks(settings, gateway.keys.registry, redis).run())
        gateway.metrics = SubscriberMetrics(
            settings,
            redis,
            lambda: [(c.subscriber, c.agreement.level) for c in gateway.keys.callers()],
            gateway.stream_lags,
        )
        try:
            yield
        finally:
            webhooks.cancel()
            await asyncio.gather(webhooks, return_exceptions=True)
            await gateway.tails.stop()
            await producer.stop()
            await redis.aclose()

    app = FastAPI(
        title="safer-tracker subscriber gateway",
        version="1",
        description=__doc__,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    json_errors(app)
    app.add_middleware(BodyLimit, limit=settings.gateway_max_body)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        assert gateway.metrics is not None  # set by the lifespan before any request
        return Response(await gateway.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/health", summary="Whether the gateway is up (no key needed)")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    asyncapi = document(settings.topic_prefix, settings.partitions)
    report_page = field.page(gateway.areas)

    @app.get("/v1/report", response_class=HTMLResponse, summary="The field report form")
    async def report() -> HTMLResponse:
        return HTMLResponse(report_page, headers=PAGE_HEADERS)

    @app.get("/v1/report.js", include_in_schema=False)
    async def report_js() -> Response:
        return Response(
            field.asset("report.js"), media_type="text/javascript", headers=PAGE_HEADERS
        )

    @app.get("/v1/report.css", include_in_schema=False)
    async def report_css() -> Response:
        return Response(field.asset("report.css"), media_type="text/css", headers=PAGE_HEADERS)

    @app.get(
        "/v1/asyncapi.json",
        summary="The AsyncAPI 3.0 document of this deployment's topics (no key needed)",
    )
    async def asyncapi_document() -> dict[str, Any]:
        return asyncapi

    @app.get(
        "/v1/stream",
        summary="Server-Sent Events of the caller's shared records",
        response_class=EventSourceResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "the event stream"},
            400: {"description": "a bad Last-Event-ID"},
            401: {"description": "no key, or an unknown or revoked one"},
            429: {"description": "too many requests for this key"},
        },
    )
    async def stream(
        who: Authorised,
        last_event_id: Annotated[str | None, Header()] = None,
        last_event_id_query: Annotated[
            str | None, Query(alias="last_event_id", description="as the Last-Event-ID header")
        ] = None,
        start: Annotated[
            Literal["beginning", "end"],
            Query(alias="from", description="where to start without a Last-Event-ID"),
        ] = "beginning",
        limit: Annotated[
            int | None, Query(ge=1, le=100_000, description="end after this many messages")
        ] = None,
    ) -> EventSourceResponse:
        tail = gateway.tails.of(gateway.topics.subscriber(who.subscriber.name).name)
        resume = last_event_id if last_event_id is not None else last_event_id_query
        if resume is not None:
            if not resume.isdigit() or len(resume) > 19:
                raise HTTPException(400, "Last-Event-ID must be an offset this stream sent")
            position = int(resume) + 1
        else:
            await tail.start()
            position = tail.latest if start == "end" else 0
        if position > (await _end(tail)):
            raise HTTPException(400, "Last-Event-ID is beyond the end of this stream")
        events = _events(gateway, who, tail.stream(position), limit, position)
        return EventSourceResponse(events, ping=PING_S)

    @app.get(
        "/v1/counts",
        summary="Counts per area and category under the caller's agreement",
        responses={
            401: {"description": "no key, or an unknown or revoked one"},
            403: {"description": "the agreement does not allow this level"},
            429: {"description": "too many requests for this key"},
        },
    )
    async def counts(
        who: Authorised,
        level: Annotated[Literal["ward", "borough"], Query()] = "ward",
        window: Annotated[
            Literal["yesterday", "7d", "28d", "365d"],
            Query(description="whole local days up to the last midnight"),
        ] = "28d",
    ) -> dict[str, Any]:
        agreement = who.agreement
        if level not in levels_allowed(agreement, gateway.areas):
            raise HTTPException(403, f"the agreement does not allow {level}-level counts")
        now = datetime.now(UTC) - timedelta(hours=agreement.delay_hours)
        span = FIXED_BY_SLUG[window].window(now)
        figures = await asyncio.to_thread(gateway.reader.window, "ward", span.start, span.end)
        wards = frozenset(agreed_wards(agreement, gateway.areas))
        cells = agreed_cells(figures.rows, agreement, wards)
        return {
            "level": level,
            "window": {
                "slug": span.slug,
                "label": span.label,
                "start": span.start_time.isoformat(),
                "end": span.end_time.isoformat(),
            },
            "disclosure": agreement.disclosure.value,
            "caveat": caveat(agreement),
            "rows": disclosed(cells, level, agreement, gateway.areas),
        }

    @app.post(
        "/v1/events/{source}",
        summary="Send one record of a source (partner systems, field reports)",
        status_code=202,
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "One incident event (schema v1, `incident-event.v1.schema.json`)",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
        responses={
            202: {"description": "on the broker; the worker validates it as any feed's"},
            400: {"description": "no Idempotency-Key"},
            401: {"description": "no key, or an unknown or revoked one"},
            403: {"description": "the agreement does not let the caller publish this source"},
            409: {"description": "a request with this Idempotency-Key is in progress"},
            413: {"description": "the body is too large"},
            422: {"description": "not a valid event: the dead-letter reason and field errors"},
            429: {"description": "too many requests for this key"},
        },
    )
    async def ingest(
        source: Source,
        request: Request,
        who: Authorised,
        idempotency_key: Annotated[
            str | None, Header(description="unique per record sent; a retry repeats it")
        ] = None,
    ) -> JSONResponse:
        if source not in who.agreement.publish:
            raise HTTPException(403, f"this key may not publish {source.value} records")
        if not idempotency_key or len(idempotency_key) > 200 or not idempotency_key.isprintable():
            raise HTTPException(400, "an Idempotency-Key header (1-200 characters) is needed")
        assert gateway.ingest is not None  # set by the lifespan before any request
        body = await request.body()
        try:
            answer = await gateway.ingest.accept(who.subscriber.name, source, idempotency_key, body)
        except Conflict as exc:
            raise HTTPException(exc.status, str(exc)) from None
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return JSONResponse(answer.body, answer.status, headers=headers)

    return app


_BEARER = {"WWW-Authenticate": "Bearer"}


def _caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """The calling subscriber (401 without a valid key, 429 past its rate)."""
    gateway: Gateway = request.app.state.gateway
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "an API key is needed: Authorization: Bearer <key>", _BEARER)
    found = gateway.keys.caller(authorization.removeprefix("Bearer ").strip())
    if found is None:
        raise HTTPException(401, "unknown or revoked API key", _BEARER)
    wait = gateway.limits.take(found.subscriber.name)
    if wait:
        retry = str(max(1, round(wait)))
        raise HTTPException(429, "too many requests for this key", {"Retry-After": retry})
    return found


Authorised = Annotated[Caller, Depends(_caller)]


async def _end(tail: Any) -> int:
    await tail.start()
    return int(tail.latest)


async def _events(
    gateway: Gateway,
    who: Caller,
    messages: AsyncIterator[tuple[int, bytes]],
    limit: int | None,
    position: int,
) -> AsyncIterator[ServerSentEvent]:
    checked = time.monotonic()
    sent = 0
    name = who.subscriber.name
    mine = gateway.open_streams.setdefault(name, {})
    handle = id(messages)
    mine[handle] = position
    try:
        async for offset, value in messages:
            yield ServerSentEvent(data=value.decode(), event="record", id=str(offset))
            mine[handle] = offset + 1
            sent += 1
            if limit is not None and sent >= limit:
                return
            if time.monotonic() - checked > RECHECK_S:
                checked = time.monotonic()
                if gateway.keys.caller_by_name(who.subscriber.name) is None:
                    yield ServerSentEvent(data="the API key was revoked", event="revoked")
                    return
    except RebuiltError as exc:
        yield ServerSentEvent(data=str(exc), event="rebuilt")
    finally:
        mine.pop(handle, None)
