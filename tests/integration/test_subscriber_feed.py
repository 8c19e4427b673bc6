"""A subscriber's feed on the real broker and Redis: the canonical topic in, exactly the
agreed view out — duplicates and old versions not repeated, a correction out of scope
withdrawn, nothing repeated after a restart, the topic rebuilt when the agreement changes,
and held messages released when the agreed delay is over."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from bus.admin import ensure_topics
from geography.areas import load_areas
from safer.settings import Settings
from schemas.codec import decode_incident, encode_incident
from schemas.shared import SharedRecord
from schemas.topics import Topics
from sharing.agreements import parse_agreement
from streams.subscribers import Feed
from tests.builders import encode, make_council_asb, make_fire_incident
from tests.integration.worker import produce, read_records

AREAS = load_areas()
AGREEMENT = """
subscriber = "fire-prevention"
sources = ["fire"]
level = "records"
precision = "ward"
fields = ["category", "occurred", "cause"]
"""


def _canonical(event: dict[str, Any]) -> tuple[bytes, bytes]:
    return str(event["record_key"]).encode(), encode_incident(decode_incident(encode(event)))


def _corrected(event: dict[str, Any], **data: Any) -> dict[str, Any]:
    newer = orjson.loads(orjson.dumps(event))
    newer["version"] += 1
    newer["id"] = newer["id"][::-1]
    newer["data"].update(data)
    return dict(newer)


@asynccontextmanager
async def running(settings: Settings, text: str) -> AsyncIterator[Feed]:
    feed = Feed(settings, parse_agreement(text, "test.toml", AREAS), AREAS)
    task = asyncio.ensure_future(feed.run())
    try:
        yield feed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if task.done() and not task.cancelled() and task.exception():
            raise task.exception()  # type: ignore[misc]


async def _messages(
    settings: Settings, topic: str, expect: int, timeout_s: float = 60.0
) -> list[dict[str, Any]]:
    records = await asyncio.to_thread(read_records, settings, topic, expect, timeout_s)
    return [orjson.loads(r.value) for r in records]


async def _settled(settings: Settings, topic: str, expect: int) -> list[dict[str, Any]]:
    """The topic once it holds ``expect`` messages and, 3 s later, still no more."""
    found = await _messages(settings, topic, expect)
    assert len(found) == expect, [m["record_key"] for m in found]
    again = await _messages(settings, topic, expect + 1, timeout_s=5.0)
    if len(again) < expect:  # a loaded machine: the read timed out before the first fetch
        again = await _messages(settings, topic, expect)
    assert len(again) == expect, "more messages than expected"
    return again


@pytest.fixture
def topics(settings: Settings) -> Topics:
    ensure_topics(settings.require_kafka(), Topics(settings.topic_prefix), settings.partitions)
    return Topics(settings.topic_prefix)


async def test_the_feed_sends_the_agreed_view_once(settings: Settings, topics: Topics) -> None:
    fires = [make_fire_incident() for _ in range(3)]
    away = make_fire_incident()
    away["data"]["location"] = {"lsoa_code": "E01006512"}  # Liverpool: not the partnership's
    moved = _corrected(fires[2], location={"lsoa_code": "E01006512"})
    recategorised = _corrected(fires[1], category="primary-fire")
    first = [*fires, away, make_council_asb(), make_council_asb(), fires[0], recategorised, moved]
    produce(settings, topics.incidents.name, [_canonical(e) for e in first])
    topic = topics.subscriber("fire-prevention").name

    async with running(settings, AGREEMENT):
        got = await _settled(settings, topic, 5)
    for message in got:
        SharedRecord.model_validate(message)
        assert message["source"] == "fire"
        assert set(message["data"]) <= {"category", "occurred", "cause", "location"}
    seen = [(m["record_key"], m["version"], m["status"]) for m in got]
    keys = [str(e["record_key"]) for e in fires]
    assert sorted(seen) == sorted(
        [
            (keys[0], 1, "active"),
            (keys[1], 1, "active"),
            (keys[1], 2, "active"),
            (keys[2], 1, "active"),
            (keys[2], 2, "cancelled"),  # corrected out of the partnership: withdrawn
        ]
    )
    assert next(m for m in got if m["status"] == "cancelled")["data"] == {}
    assert (
        next(m for m in got if m["version"] == 2 and m["status"] == "active")["data"]["category"]
        == "primary-fire"
    )

    later = make_fire_incident()
    produce(settings, topics.incidents.name, [_canonical(later), _canonical(fires[0])])
    async with running(settings, AGREEMENT):  # a restart repeats nothing
        got = await _settled(settings, topic, 6)
    assert got[-1]["record_key"] == later["record_key"]

    finer = AGREEMENT.replace('precision = "ward"', 'precision = "lsoa"')
    async with running(settings, finer) as feed:  # a new agreement: the topic is rebuilt
        rebuilt = await _settled(settings, topic, 6)
    assert {m["agreement"] for m in rebuilt} == {feed.agreement.revision}
    assert all("lsoa_code" in m["data"]["location"] for m in rebuilt if m["status"] == "active")
    assert sorted((m["record_key"], m["version"]) for m in rebuilt) == sorted(
        (m["record_key"], m["version"]) for m in got
    )


async def test_a_delay_holds_recent_records_until_it_is_over(
    settings: Settings, topics: Topics
) -> None:
    """A record published an hour ago is sent at once; one published now is not sent before
    its release time (its ``time`` + the delay), whenever the feed gets to it, and is sent
    after it."""
    delay_s = 20.0
    text = AGREEMENT + f"delay_hours = {delay_s / 3600}\n"
    old = make_fire_incident(time=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    published = datetime.now(UTC)
    new = make_fire_incident(time=published.isoformat())
    produce(settings, topics.incidents.name, [_canonical(old), _canonical(new)])
    release = published.timestamp() + delay_s
    topic = topics.subscriber("fire-prevention").name
    seen: dict[str, float] = {}
    async with running(settings, text):
        deadline = time.time() + delay_s + 60
        while len(seen) < 2 and time.time() < deadline:
            for m in await _messages(settings, topic, 2, timeout_s=1.0):
                seen.setdefault(m["record_key"], time.time())
            await asyncio.sleep(0.3)
    assert set(seen) == {old["record_key"], new["record_key"]}
    assert seen[old["record_key"]] < seen[new["record_key"]]
    assert seen[new["record_key"]] >= release - 1.0  # never before its release (1 s: polling)
