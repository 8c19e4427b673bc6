"""Near-repeat and cross-agency alerts on a real redis-server: the writer's geo index scores
points as GEOADD does and follows corrections and cancellations; the rules fire on crafted
events, not on incidents too far or too long before, and a cancellation withdraws them."""

from __future__ import annotations

import asyncio
import copy
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from aggregates.inputs import canonical_doc, from_canonical
from aggregates.nearby import geo_score, member, parse_member
from geography.areas import load_areas
from geography.bng import to_bng, to_wgs84
from safer.settings import Settings
from schemas.codec import decode_incident
from store.keys import Keys
from store.nearby import CACHE_S, NearbyReader
from store.writer import writer_for
from streams.alerts import AlertEngine
from tests.builders import (
    encode,
    make_control_room_call,
    make_council_asb,
    make_fire_incident,
    make_police_incident,
)
from tests.conftest import Infra
from tests.integration.worker import safer_cli

LAT, LON = 53.3930, -3.0140  # Birkenhead
METRE = 1 / 111_200  # degrees of latitude


def _at(when: datetime, lat: float = LAT, lon: float = LON) -> dict[str, Any]:
    stamp = when.replace(microsecond=0).isoformat()
    return {
        "occurred": {"start": stamp, "end": None},
        "received_at": stamp,
        "location": {"lat": lat, "lon": lon, "lsoa_code": None, "ward_code": None},
    }


def _doc(event: dict[str, Any]) -> dict[str, Any]:
    return canonical_doc(decode_incident(encode(event)))


def _apply(settings_: Settings, docs: list[dict[str, Any]]) -> None:
    async def run() -> None:
        redis = AsyncRedis.from_url(settings_.require_redis())
        try:
            await writer_for(redis, settings_).apply_canonical(docs)
        finally:
            await redis.aclose()

    asyncio.run(run())


def _background(now: datetime, weeks: int) -> list[dict[str, Any]]:
    """A drugs offence, a control-room call and a chimney fire each week, 5 km away: the
    feeds covered those weeks, and none of it is any rule's."""
    out = []
    for week in range(weeks):
        when = now - timedelta(days=7 * week + 3.5)
        at = _at(when, LAT - 0.045, LON - 0.03)
        out += [
            _doc(make_police_incident(data={**at, "category": "drugs"})),
            _doc(make_control_room_call(data={**at, "category": "call-other"})),
            _doc(make_fire_incident(data={**at, "category": "chimney-fire"})),
        ]
    return out


def test_rules_need_history_to_say_what_is_usual(settings: Settings, redis_client: Redis) -> None:
    """The same unusual burglary with only 3 weeks of feed history behind it: burglary's
    rule (14 days and a baseline as long) cannot judge it, so nothing is raised."""
    now = datetime.now(UTC).replace(microsecond=0)
    docs = [_doc(make_police_incident(data=_at(now - timedelta(days=d)))) for d in (3, 5, 9)] + [
        _doc(make_police_incident(data=_at(now - timedelta(hours=2), LAT + 120 * METRE)))
    ]
    _apply(settings, docs + _background(now, weeks=3))
    engine = AlertEngine.of(settings.model_copy(update={"alert_weeks": 52}), redis_client)
    assert engine.cycle(now) == []
    _apply(settings, _background(now, weeks=6))
    engine = AlertEngine.of(settings.model_copy(update={"alert_weeks": 52}), redis_client)
    assert [e.group for e in engine.cycle(now)] == ["burglary-near-repeat"]  # 28 days do


def _next(doc: dict[str, Any], **data: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["version"] = doc["version"] + 1
    out["data"] |= data
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=49.0, max_value=61.0, allow_nan=False),
    st.floats(min_value=-8.0, max_value=2.0, allow_nan=False),
)
def test_points_score_as_geoadd_does(infra: Infra, lat: float, lon: float) -> None:
    redis = Redis.from_url(infra.redis_url)
    try:
        redis.geoadd("geo-score-check", (lon, lat, "p"))
        assert int(redis.zscore("geo-score-check", "p") or -1) == geo_score(lat, lon)
    finally:
        redis.close()


def test_the_index_follows_corrections_and_cancellations(
    settings: Settings, redis_client: Redis
) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)
    burglary = _doc(make_police_incident(data=_at(now)))
    _apply(settings, [burglary])
    keys = Keys(settings.redis_prefix)
    where = member(burglary["record_key"], from_canonical(burglary, load_areas()))
    assert where is not None
    (category, week), name = where
    geo = keys.geo(category, week, 0)

    def near(lat: float, lon: float) -> list[str]:
        found = redis_client.geosearch(geo, longitude=lon, latitude=lat, radius=50, unit="m")
        return [f.decode() for f in found]

    assert near(LAT, LON) == [name]
    assert parse_member(category, name) is not None
    assert redis_client.ttl(geo) > 30 * 86400  # kept longer than any rule looks back
    moved = _next(burglary, location=burglary["data"]["location"] | {"lat": LAT + 900 * METRE})
    _apply(settings, [moved])
    assert near(LAT, LON) == []
    assert near(LAT + 900 * METRE, LON) == [name]
    robbery = _next(moved, category="robbery")
    _apply(settings, [robbery])
    assert redis_client.zcard(geo) == 0  # moved to the robbery set
    assert redis_client.zcard(keys.geo("robbery", week, 0)) == 1
    gone = _next(robbery)
    gone["status"] = "cancelled"
    _apply(settings, [gone])
    assert redis_client.zcard(keys.geo("robbery", week, 0)) == 0


def test_rules_match_near_and_recent_incidents_and_a_cancellation_withdraws(
    settings: Settings, redis_client: Redis
) -> None:
    """Three burglaries in 14 days within 200 m of a new one, where the 56 days before saw
    one: unusual. A burglary in a busy circle (ten before) with one near it: usual, not
    counted. Three ASB reports, then a deliberate fire 20 m away: a cross-agency alert; an
    accidental fire there is no trigger."""
    now = datetime.now(UTC).replace(microsecond=0)

    def burglary(days: float, lat: float = LAT, lon: float = LON) -> dict[str, Any]:
        return _doc(make_police_incident(data=_at(now - timedelta(days=days), lat, lon)))

    earlier = [burglary(d) for d in (3, 5, 9)]
    old = burglary(20, LAT + 40 * METRE)  # in the baseline: the circle's usual
    far = burglary(2, LAT + 600 * METRE)
    trigger = burglary(2 / 24, LAT + 120 * METRE)
    busy_lat = LAT - 2000 * METRE
    busy = [burglary(20 + d, busy_lat) for d in range(10)] + [burglary(4, busy_lat)]
    usual_trigger = burglary(1 / 24, busy_lat)
    asb = [
        _doc(make_council_asb(data=_at(now - timedelta(hours=h), LAT, LON + 0.002)))
        for h in (30, 40, 50)
    ]
    fire = _doc(make_fire_incident(data=_at(now - timedelta(hours=1), LAT, LON + 0.0023)))
    accidental = _doc(make_fire_incident(data=_at(now - timedelta(hours=1), LAT, LON + 0.0021)))
    accidental["data"]["cause"] = "accidental"
    docs = [*earlier, old, far, trigger, *busy, usual_trigger, *asb, fire, accidental]
    _apply(settings, docs + _background(now, weeks=12))
    # alert_weeks 52: no spike tests (no history), so only the rules speak
    quiet = settings.model_copy(update={"alert_weeks": 52})
    engine = AlertEngine.of(quiet, redis_client)
    events = {e.group: e for e in engine.cycle(now)}
    assert set(events) == {"burglary-near-repeat", "asb-then-deliberate-fire"}
    near = events["burglary-near-repeat"]
    assert (near.kind.value, near.state.value, near.level) == ("near-repeat", "raised", "ward")
    assert near.record_keys == (
        trigger["record_key"],
        *(e["record_key"] for e in reversed(earlier)),  # oldest first
    )
    assert (near.observed, near.earlier) == (1, 3)  # the busy circle's trigger is usual
    usual = (1 + 0.5) * 14 / 56  # one burglary in the circle in the 56 days before
    assert near.expected == pytest.approx(usual)
    p = 1 - math.exp(-usual) * (1 + usual + usual**2 / 2)
    assert near.p == pytest.approx(p)
    assert near.sentence == (
        f"{near.area_name}: burglaries in the last 24 hours within 200 m of earlier burglaries "
        f"in the 14 days before — 1, near 3 earlier against {usual:.1f} usual there "
        f"(p = {p:.4f})."
    )
    link = events["asb-then-deliberate-fire"]
    assert link.kind.value == "cross-agency"
    assert link.record_keys == (fire["record_key"], *(a["record_key"] for a in reversed(asb)))
    assert engine.cycle(now + timedelta(seconds=5)) == []  # nothing changed, nothing said

    restarted = AlertEngine.of(quiet, redis_client)
    assert restarted.cycle(now + timedelta(seconds=10)) == []  # a restart raises nothing again
    cancelled = _next(trigger)
    cancelled["status"] = "cancelled"
    _apply(settings, [cancelled])
    ended = restarted.cycle(now + timedelta(seconds=15))
    assert [(e.id, e.state.value) for e in ended] == [(near.id, "resolved")]
    assert ended[0].record_keys == ()
    assert "no burglaries near earlier burglaries any more" in ended[0].sentence
    assert {a.group for a in restarted.store.active().values()} == {"asb-then-deliberate-fire"}

    clock = [0.0]
    restarted.nearby = NearbyReader(redis_client, Keys(settings.redis_prefix), lambda: clock[0])
    assert restarted.cycle(now + timedelta(seconds=20)) == []
    withdrawn = []
    for report in asb:
        gone = _next(report)
        gone["status"] = "cancelled"
        withdrawn.append(gone)
    _apply(settings, withdrawn)  # the earlier ASB reports were a mistake
    assert restarted.cycle(now + timedelta(seconds=25)) == []  # the match is reused a while
    clock[0] += CACHE_S + 1
    (over,) = restarted.cycle(now + timedelta(seconds=30))
    assert (over.id, over.state.value) == (link.id, "resolved")


def test_a_record_known_only_as_its_month_is_not_indexed(
    settings: Settings, redis_client: Redis
) -> None:
    start = (datetime.now(UTC) - timedelta(days=40)).replace(hour=0, minute=0, second=0)
    month = _doc(
        make_police_incident(
            data={
                **_at(start),
                "occurred": {
                    "start": start.isoformat(),
                    "end": (start + timedelta(days=28)).isoformat(),
                },
            }
        )
    )
    _apply(settings, [month])
    where = member(month["record_key"], from_canonical(month, load_areas()))
    assert where is not None
    (category, week), _ = where
    assert redis_client.zcard(Keys(settings.redis_prefix).geo(category, week, 0)) == 0


def test_calibration_finds_a_planted_near_repeat_in_the_index(
    settings: Settings, redis_client: Redis
) -> None:
    """300 burglaries over 50 days around Wirral's LSOAs and, after 60 of them, another
    within 100 m and 3 days: the command finds its band; month-only records it refuses."""
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    lsoas = load_areas().lsoas
    docs = []
    for _ in range(300):
        lsoa = rng.choice(lsoas)
        east, north = to_bng(lsoa.lat, lsoa.lon)
        lat, lon = to_wgs84(east + rng.uniform(-300, 300), north + rng.uniform(-300, 300))
        docs.append(burglary_at(now - timedelta(hours=rng.uniform(80, 50 * 24)), lat, lon))
    for seed in rng.sample(docs, 60):
        east, north = to_bng(seed["data"]["location"]["lat"], seed["data"]["location"]["lon"])
        r, a = 100 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat, lon = to_wgs84(east + r * math.cos(a), north + r * math.sin(a))
        then = datetime.fromisoformat(seed["data"]["occurred"]["start"]) + timedelta(
            hours=rng.uniform(0, 72)
        )
        docs.append(burglary_at(then, lat, lon))
    _apply(settings, docs)
    found = safer_cli(
        settings,
        "calibrate",
        "near-repeat",
        "--rule",
        "burglary-near-repeat",
        "--metres",
        "100,400",
        "--hours",
        "72,336",
    )
    assert found.returncode == 0, found.stderr
    assert "strongest significant excess: within 100 m and 3 days" in found.stdout
    none = safer_cli(settings, "calibrate", "near-repeat", "--rule", "damage-then-asb")
    assert none.returncode == 0, none.stderr
    assert "month" in none.stdout  # nothing timestamped: police.uk months cannot calibrate
    assert "too few timestamped incidents" in none.stdout
    bad = safer_cli(settings, "calibrate", "near-repeat", "--rule", "nonsense")
    assert bad.returncode != 0
    assert "no rule 'nonsense'" in bad.stderr
    assert "Traceback" not in bad.stderr


def burglary_at(when: datetime, lat: float, lon: float) -> dict[str, Any]:
    return _doc(make_police_incident(data=_at(when, lat, lon)))
