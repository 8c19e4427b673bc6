"""The alert job on real parts: simulated weeks of traffic aggregated into a real
redis-server by the real engine, then a surge in one ward raises one spike alert; a
restarted engine knows it (no second raise); cancelling the surge's incidents resolves it;
the messages reach ``safer.alerts.v1`` on the real broker, each once, in sequence."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from aggregates.inputs import canonical_doc
from bus.admin import ensure_topics
from feeds.simulator.generator import Simulator
from feeds.simulator.history import history_batches, plan_history
from geography.areas import load_areas
from safer.settings import Settings
from schemas.alerts import AlertEvent
from schemas.codec import decode_incident
from schemas.topics import Topics
from store.writer import writer_for
from streams.alerts import AlertEngine, AlertJob
from tests.integration.worker import read_topic, safer_cli

WARD = "E05000956"  # Birkenhead and Tranmere
KEY = ("ward", WARD, "all", "hour")


def _docs(messages: list[Any]) -> list[dict[str, Any]]:
    docs = []
    for message in messages:
        try:
            docs.append(canonical_doc(decode_incident(message.value)))
        except ValueError:
            continue  # malformed: dead-lettered live
    return docs


def _surge(now: datetime, n: int, seed: int = 99) -> list[dict[str, Any]]:
    """``n`` council ASB incidents in the ward over the last 20 minutes."""
    areas = load_areas()
    lsoa = next(x for x in areas.lsoas if x.ward_code == WARD)
    sim = Simulator(areas, seed=seed, duplicate_share=0, correction_share=0, malformed_share=0)
    out: list[dict[str, Any]] = []
    while len(out) < n:
        for doc in _docs(sim.messages(20, now)):
            if doc["source"] != "council" or not doc["data"]["category"].startswith("asb-"):
                continue
            at = now - timedelta(minutes=20 * len(out) / n)
            stamp = at.isoformat().replace("+00:00", "Z")
            doc["data"]["occurred"] = {"start": stamp}
            doc["data"]["received_at"] = stamp
            doc["data"]["location"] = {
                "lat": lsoa.lat,
                "lon": lsoa.lon,
                "lsoa_code": lsoa.code,
                "ward_code": WARD,
            }
            out.append(doc)
            if len(out) == n:
                break
    return out


async def _apply(settings: Settings, docs: list[dict[str, Any]]) -> None:
    redis = AsyncRedis.from_url(settings.require_redis())
    writer = writer_for(redis, settings)
    try:
        for i in range(0, len(docs), 2000):
            await writer.apply_canonical(docs[i : i + 2000])
    finally:
        await redis.aclose()


async def _publish(job: AlertJob, bootstrap: str) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        job.producer = lambda: producer
        return await job.publish()
    finally:
        await producer.stop()


def _p_of(engine: AlertEngine, key: tuple[str, str, str, str]) -> float:
    """The raw p of one window's test at the engine's last evaluation (1 if not tested)."""
    assert engine.last is not None
    found = [t.p for t in engine.last.tests if (t.level, t.area, t.group, t.window) == key]
    return found[0] if found else 1.0


def test_a_surge_raises_one_alert_that_a_cancellation_resolves(
    settings: Settings, redis_client: Redis
) -> None:
    settings = settings.model_copy(update={"alert_weeks": 1, "alert_resolve_after_s": 0.0})
    now = datetime.now(UTC)
    sim = Simulator(load_areas(), seed=5)
    history = _docs(
        [
            m
            for batch in history_batches(sim, plan_history(sim, 0.01, timedelta(days=16), now))
            for m in batch
        ]
    )
    asyncio.run(_apply(settings, history))
    engine = AlertEngine.of(settings, redis_client)
    before = engine.cycle(now)
    assert engine.last is not None
    assert engine.last.covered >= 1  # enough history for tests
    assert KEY not in {(e.level, e.area, e.group, e.window) for e in before}

    surge = _surge(now, 30)
    asyncio.run(_apply(settings, surge))
    raised = [e for e in engine.cycle(now + timedelta(seconds=5)) if e.area == WARD]
    mine = [e for e in raised if (e.level, e.area, e.group, e.window) == KEY]
    assert len(mine) == 1
    alert = mine[0]
    assert alert.state.value == "raised"
    assert alert.observed >= 30
    assert alert.p_adjusted <= settings.alert_fdr
    assert alert.sentence.startswith("Birkenhead and Tranmere: ")
    assert {d["record_key"] for d in surge} <= set(alert.record_keys)  # named, for analysts

    more = _surge(now, 8, seed=100)
    asyncio.run(_apply(settings, more))
    changed = [e for e in engine.cycle(now + timedelta(seconds=7)) if e.id == alert.id]
    assert [(e.state.value, e.sequence) for e in changed] == [("updated", 2)]
    assert changed[0].observed == alert.observed + 8

    restarted = AlertEngine.of(settings, redis_client)  # a worker restart
    assert KEY in restarted.alerts
    again = restarted.cycle(now + timedelta(seconds=10))
    assert not [e for e in again if e.id == alert.id and e.state.value == "raised"]
    blind = AlertEngine.of(settings.model_copy(update={"alert_weeks": 52}), redis_client)
    assert blind.cycle(now + timedelta(seconds=12)) == []  # no history to judge by
    assert blind.last is not None
    assert not blind.last.enough
    assert KEY in blind.store.active()  # nothing says it is over: kept, not resolved
    status = blind.store.snapshot(1).status
    assert status is not None
    assert (status.tests, status.needed, status.enough) == (0, 52, False)
    assert status.text.startswith("Not enough history for spike alerts: they need 52 weeks")

    cancelled = []
    for doc in surge + more:
        gone = copy.deepcopy(doc)
        gone["version"] = doc["version"] + 1
        gone["status"] = "cancelled"
        cancelled.append(gone)
    asyncio.run(_apply(settings, cancelled))
    restarted.cycle(now + timedelta(seconds=15))  # back within normal: the wait starts
    first_p = _p_of(restarted, KEY)
    ended = [e for e in restarted.cycle(now + timedelta(seconds=20)) if e.id == alert.id]
    second_p = _p_of(restarted, KEY)
    if min(first_p, second_p) > settings.alert_resolve_p:
        assert [e.state.value for e in ended] == ["resolved"]
        assert ended[0].observed < alert.observed
    else:  # the simulated background alone is unusual at this hour of the week (the history
        # ends at the wall clock): nothing says the spike is over, so it stays active
        assert ended == [], (first_p, second_p)
        assert KEY in restarted.store.active()

    topics = Topics(settings.topic_prefix)
    ensure_topics(settings.require_kafka(), topics, settings.partitions)
    job = AlertJob(settings, lambda: None)
    job.engine = restarted
    sent = asyncio.run(_publish(job, settings.require_kafka()))
    assert sent >= 2
    assert restarted.store.pending() == []
    on_topic = [
        AlertEvent.model_validate_json(v) for v in read_topic(settings, topics.alerts.name, sent)
    ]
    ours = sorted(e.sequence for e in on_topic if e.id == alert.id)
    assert ours == list(range(1, len(ours) + 1))
    assert ours[0] == 1
    assert len(ours) >= 2

    listed = safer_cli(settings, "alerts", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    latest = {e["id"]: e for e in json.loads(listed.stdout)}
    assert latest[alert.id]["state"] == "resolved"
    active = safer_cli(settings, "alerts", "list", "--active", "--format", "json")
    assert alert.id not in {e["id"] for e in json.loads(active.stdout)}
    shown = safer_cli(settings, "alerts", "show", alert.id)
    assert shown.returncode == 0, shown.stderr
    assert "#1 raised: Birkenhead and Tranmere" in shown.stdout
    assert "resolved: Birkenhead and Tranmere: back within normal" in shown.stdout
    missing = safer_cli(settings, "alerts", "show", "spike-000000000000")
    assert missing.returncode != 0
    assert "no alert" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_history_counted_after_the_job_started_is_read_within_a_minute(
    settings: Settings, redis_client: Redis
) -> None:
    """A stack counts its simulated history after the alert job's first evaluation: the
    job reads the history again a minute later, not at the next clock hour."""
    settings = settings.model_copy(update={"alert_weeks": 1})
    now = (datetime.now(UTC) - timedelta(hours=1)).replace(minute=10, second=0, microsecond=0)
    engine = AlertEngine.of(settings, redis_client)
    engine.cycle(now)
    assert engine.last is not None
    assert not engine.last.enough
    sim = Simulator(load_areas(), seed=6)
    plan = plan_history(sim, 0.01, timedelta(days=16), now)
    asyncio.run(_apply(settings, _docs([m for b in history_batches(sim, plan) for m in b])))
    engine.cycle(now + timedelta(seconds=30))
    assert not engine.last.enough  # read a moment ago: not yet again
    engine.cycle(now + timedelta(seconds=61))
    assert engine.last.enough
