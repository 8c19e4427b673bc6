"""An operation's zones counted on a real redis-server by the live writer: corrections move
an incident in and out of the target exactly, a cancellation takes it out, a redelivery
changes nothing, and a polygon zone counts what an independent point-in-polygon count
finds."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from shapely.geometry import Point, shape

from aggregates.config import AggregationConfig
from geography.areas import load_areas
from geography.bng import to_bng
from operations.registry import Registry
from operations.zones import ResolvedOperation
from schemas.codec import decode_incident
from store.keys import Keys
from store.operation_counts import read_counts
from store.reader import StoreReader
from store.writer import AggregateWriter
from tests.builders import NOW, encode, make_council_asb, make_police_incident
from tests.conftest import Infra, new_namespace
from tests.data_files import WIRRAL

AREAS = load_areas()
TARGET, BUFFER, ELSEWHERE = "E05000956", "E05000960", "E05000970"
DAY = NOW.date()


def _lsoa(ward: str) -> str:
    return next(code for code, w in sorted(AREAS.lsoa_ward.items()) if w == ward)


def _toml(target: str) -> str:
    return f"""
name = "Operation Test"
categories = ["burglary", "asb-nuisance"]
start = "{DAY - timedelta(days=3)}"
end = "{DAY + timedelta(days=3)}"
[target]
{target}
[buffer]
wards = ["{BUFFER}"]
"""


def _setup(
    infra: Infra, tmp_path: Path, toml: str, files: dict[str, str] | None = None
) -> tuple[Keys, ResolvedOperation]:
    keys = Keys(f"{new_namespace()}:")
    registry = Registry(tmp_path)
    version = registry.save(toml, AREAS, files or {})
    redis = Redis.from_url(infra.redis_url)
    try:  # generation 0 counts it (a rebuild writes this before its first record)
        redis.set(keys.operations("0"), registry.snapshot().encode())
    finally:
        redis.close()
    return keys, version.resolved(AREAS)


def _apply(url: str, keys: Keys, events: list[dict[str, Any]]) -> None:
    async def run() -> None:
        client = AsyncRedis.from_url(url)
        try:
            writer = AggregateWriter(client, keys, AggregationConfig(), AREAS, 50)
            await writer.apply([decode_incident(encode(e)) for e in events])
        finally:
            await client.aclose()

    asyncio.run(run())


def _zones(infra: Infra, keys: Keys, op: ResolvedOperation) -> dict[str, int]:
    redis = Redis.from_url(infra.redis_url)
    try:
        found = read_counts(StoreReader(redis, keys, [WIRRAL]), op, NOW + timedelta(hours=1))
    finally:
        redis.close()
    return {zone: c.operation for zone, c in found.zones.items()}


def _at(
    ward: str, key: str, version: int, category: str = "burglary", **extra: Any
) -> dict[str, Any]:
    lsoa = _lsoa(ward)
    row = next(x for x in AREAS.lsoas if x.code == lsoa)
    location = {"ward_code": ward, "lsoa_code": lsoa, "lat": row.lat, "lon": row.lon}
    return make_police_incident(
        record_key=key,
        version=version,
        data={"category": category, "location": location},
        **extra,
    )


def test_corrections_move_an_incident_between_zones(infra: Infra, tmp_path: Path) -> None:
    keys, op = _setup(infra, tmp_path, _toml(f'wards = ["{TARGET}"]'))
    key = "police:test:moving"
    _apply(infra.redis_url, keys, [_at(TARGET, key, 1)])
    assert _zones(infra, keys, op) == {"target": 1, "buffer": 0, "control": 0}
    _apply(infra.redis_url, keys, [_at(ELSEWHERE, key, 2)])  # corrected out of the target
    assert _zones(infra, keys, op) == {"target": 0, "buffer": 0, "control": 1}
    _apply(infra.redis_url, keys, [_at(BUFFER, key, 3)])
    assert _zones(infra, keys, op) == {"target": 0, "buffer": 1, "control": 0}
    _apply(infra.redis_url, keys, [_at(TARGET, key, 4), _at(TARGET, key, 4)])  # and back, twice
    _apply(infra.redis_url, keys, [_at(BUFFER, key, 3)])  # a stale redelivery
    assert _zones(infra, keys, op) == {"target": 1, "buffer": 0, "control": 0}
    _apply(infra.redis_url, keys, [_at(TARGET, key, 5, status="cancelled")])
    assert _zones(infra, keys, op) == {"target": 0, "buffer": 0, "control": 0}
    # another category is never in the operation
    _apply(infra.redis_url, keys, [_at(TARGET, "police:test:other", 1, category="robbery")])
    assert _zones(infra, keys, op) == {"target": 0, "buffer": 0, "control": 0}


def test_polygon_zone_equals_an_independent_point_in_polygon_count(
    infra: Infra, tmp_path: Path
) -> None:
    """Random council ASB points over the target ward and around it: the polygon target's
    count equals shapely's own count of the points inside the GeoJSON polygon."""
    row = next(x for x in AREAS.lsoas if x.code == _lsoa(TARGET))
    d = 0.006
    ring = [
        [row.lon - d, row.lat - d],
        [row.lon + d, row.lat - d],
        [row.lon + d, row.lat + d],
        [row.lon - d, row.lat + d],
        [row.lon - d, row.lat - d],
    ]
    park = {"type": "Polygon", "coordinates": [ring]}
    toml = _toml('geojson = "park.geojson"').replace(f'wards = ["{BUFFER}"]', "metres = 300")
    keys, op = _setup(infra, tmp_path, toml, {"park.geojson": json.dumps(park)})
    rng = random.Random(5)
    events = []
    inside = 0
    polygon = shape(park)
    for i in range(300):
        lat = row.lat + rng.uniform(-3 * d, 3 * d)
        lon = row.lon + rng.uniform(-3 * d, 3 * d)
        lsoa = AREAS.locate(lat, lon)
        if lsoa is None:
            continue
        inside += polygon.contains(Point(lon, lat))
        events.append(
            make_council_asb(
                record_key=f"council:test:{i}",
                data={
                    "location": {
                        "lat": lat,
                        "lon": lon,
                        "lsoa_code": lsoa,
                        "ward_code": AREAS.lsoa_ward[lsoa],
                    }
                },
            )
        )
    _apply(infra.redis_url, keys, events)
    counts = _zones(infra, keys, op)
    assert inside > 20
    assert counts["target"] == inside
    ring_zone = op.zone("buffer")
    assert ring_zone is not None
    assert ring_zone.points is not None
    assert counts["buffer"] == sum(
        ring_zone.points.contains(
            Point(*to_bng(e["data"]["location"]["lat"], e["data"]["location"]["lon"]))
        )
        for e in events
    )
    assert counts["target"] + counts["buffer"] + counts["control"] == len(events)
