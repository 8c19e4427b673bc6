"""The Redis store on a real redis-server: idempotent apply, ticker bounds, reset on a new log."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from aggregates.buckets import epoch_hour, span_of
from aggregates.config import AggregationConfig
from aggregates.delays import width_of
from aggregates.hashes import all_time
from aggregates.unusual import covered_weeks, how_unusual, score
from geography.areas import load_areas
from schemas.codec import decode_incident
from schemas.events import IncidentEvent
from store.keys import Keys
from store.reader import RepeatCounts, StoreReader
from store.reset import pair_with_log
from store.writer import AggregateWriter, StageOutcome
from tests.builders import count_cell, encode, make_council_asb, make_police_incident
from tests.conftest import Infra
from tests.data_files import WIRRAL

WARDS = ["E05000956", "E05000960", "E05000970"]
CATEGORIES = ["burglary", "robbery", "drugs"]
WARD_TOTALS = all_time("ward").of(WIRRAL)  # any key of a deployment


def _version(record: int, version: int, ward: int, category: int, cancelled: bool) -> IncidentEvent:
    event = make_police_incident(
        record_key=f"police:test:{record}",
        version=version,
        status="cancelled" if cancelled else "active",
        data={"category": CATEGORIES[category], "location": {"ward_code": WARDS[ward]}},
    )
    return decode_incident(encode(event))


def _apply(
    url: str, keys: Keys, events: list[IncidentEvent], latest: int = 100
) -> Counter[tuple[str, str]]:
    async def run() -> Counter[tuple[str, str]]:
        client = AsyncRedis.from_url(url)
        try:
            writer = AggregateWriter(client, keys, AggregationConfig(), load_areas(), latest)
            return await writer.apply(events)
        finally:
            await client.aclose()

    return asyncio.run(run())


def _expected(events: list[IncidentEvent]) -> dict[str, int]:
    latest: dict[str, IncidentEvent] = {}
    for e in events:
        if e.record_key not in latest or e.version > latest[e.record_key].version:
            latest[e.record_key] = e
    cells = Counter(
        count_cell("police", e.data.location.ward_code, e.category)
        for e in latest.values()
        if e.status.value == "active"
    )
    return dict(cells)


def _counts(redis: Redis, keys: Keys) -> dict[str, int]:
    return {
        count_cell(r.source, r.area, r.category): r.count
        for r in StoreReader(redis, keys, [WIRRAL]).counts()
    }


versions = st.lists(
    st.tuples(
        st.integers(0, 5),  # record
        st.integers(1, 4),  # version
        st.integers(0, 2),  # ward
        st.integers(0, 2),  # category
        st.booleans(),  # cancelled
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda v: (v[0], v[1]),  # one content per (record, version): redeliveries are exact
)


@settings(max_examples=40, deadline=None)
@given(versions=versions, data=st.data())
def test_any_order_with_redeliveries_counts_latest_versions(
    infra: Infra, versions: list[Any], data: st.DataObject
) -> None:
    """Whatever the order and redeliveries, counts equal each record's highest version."""
    events = [_version(*v) for v in versions]
    redelivered = events + data.draw(st.lists(st.sampled_from(events), max_size=10))
    shuffled = data.draw(st.permutations(redelivered))
    keys = Keys(f"h{uuid.uuid4().hex[:10]}:")
    redis = Redis.from_url(infra.redis_url)
    try:
        _apply(infra.redis_url, keys, list(shuffled))
        assert _counts(redis, keys) == _expected(events)
        _apply(infra.redis_url, keys, list(shuffled))  # a full replay changes nothing
        assert _counts(redis, keys) == _expected(events)
    finally:
        redis.close()


def test_ticker_is_bounded_and_drops_cancelled(infra: Infra, redis_client: Redis) -> None:
    """The latest-incidents ticker keeps the N most recently received rows (also when one
    batch brings more than N) and forgets a cancelled record."""
    keys = Keys(f"k{uuid.uuid4().hex[:10]}:")

    def received(i: int, version: int = 1, cancelled: bool = False) -> IncidentEvent:
        event = _version(i, version, 0, 0, cancelled)
        at = datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(minutes=i * 7 % 11 + version)
        return event.model_copy(update={"data": event.data.model_copy(update={"received_at": at})})

    events = [received(i) for i in range(8)]
    _apply(infra.redis_url, keys, events, latest=5)
    newest = sorted(events, key=lambda e: e.data.received_at, reverse=True)[:5]
    snapshot = StoreReader(redis_client, keys, [WIRRAL]).live_snapshot()
    assert {row["version"] for row in snapshot.latest} == {1}
    assert redis_client.zrevrange(keys.latest, 0, -1) == [e.record_key.encode() for e in newest]
    assert redis_client.hlen(keys.latest_data) == 5
    shown = int(newest[0].record_key.rsplit(":", 1)[1])
    _apply(infra.redis_url, keys, [received(shown, 2, True)], latest=5)
    assert len(StoreReader(redis_client, keys, [WIRRAL]).live_snapshot().latest) == 4


def test_new_log_resets_derived_state(redis_client: Redis) -> None:
    """State built from another broker run is removed; the same run keeps it."""
    keys = Keys(f"r{uuid.uuid4().hex[:10]}:")
    other = Keys(f"o{uuid.uuid4().hex[:10]}:")
    redis_client.hset(keys.aggregate(WARD_TOTALS, 0), "police|E05000956|burglary", 3)
    redis_client.hset(other.aggregate(WARD_TOTALS, 0), "police|E05000956|burglary", 3)
    assert pair_with_log(redis_client, keys, "cluster-a") is True
    assert not redis_client.exists(keys.aggregate(WARD_TOTALS, 0))
    redis_client.hset(keys.aggregate(WARD_TOTALS, 0), "police|E05000956|burglary", 1)
    assert pair_with_log(redis_client, keys, "cluster-a") is False
    assert redis_client.hget(keys.aggregate(WARD_TOTALS, 0), "police|E05000956|burglary") == b"1"
    assert pair_with_log(redis_client, keys, "cluster-b") is True
    assert not redis_client.exists(keys.aggregate(WARD_TOTALS, 0))
    assert redis_client.exists(other.aggregate(WARD_TOTALS, 0)), (
        "another deployment's keys are untouched"
    )


def test_baseline_is_the_same_window_over_the_previous_eight_weeks(
    infra: Infra, redis_client: Redis
) -> None:
    """Mean and spread come from the same hour-of-week window in each of 8 earlier weeks."""
    keys = Keys(f"b{uuid.uuid4().hex[:10]}:")
    now = datetime(2026, 11, 20, 21, tzinfo=UTC)
    events = []
    for week in range(1, 9):  # `week` events in week N before, same hour of the week
        at = now - timedelta(weeks=week)
        for n in range(week):
            events.append(
                decode_incident(
                    encode(
                        make_police_incident(
                            record_key=f"police:base:{week}:{n}",
                            data={"occurred": {"start": at.isoformat(), "end": None}},
                        )
                    )
                )
            )
    events.append(
        decode_incident(
            encode(
                make_police_incident(  # outside every window
                    data={
                        "occurred": {
                            "start": (now - timedelta(weeks=3, hours=5)).isoformat(),
                            "end": None,
                        }
                    },
                )
            )
        )
    )
    _apply(infra.redis_url, keys, events)
    start = epoch_hour(now)
    baseline = StoreReader(redis_client, keys, [WIRRAL]).baseline("ward", start, start + 1, 8)
    normal = baseline.cells["E05000956", "burglary"]
    assert normal.weeks == (1, 2, 3, 4, 5, 6, 7, 8)
    assert normal.mean == 4.5
    assert round(normal.stdev, 4) == 2.2913
    assert how_unusual(10, normal) is not None
    assert score(10, normal) > 2
    # per source, its events in the week up to each week's window end (0: the current one;
    # the event 3 weeks and 5 hours earlier is in week 3's): police covered all 8 weeks
    assert baseline.activity["police"] == (0, 1, 2, 4, 4, 5, 6, 7, 8)
    assert baseline.activity["fire"] == (0,) * 9
    assert covered_weeks(baseline.activity) == (True,) * 8


def test_profile_spreads_intervals_and_sums_to_event_counts(
    infra: Infra, redis_client: Redis
) -> None:
    """The stored hour-of-week profile spreads an interval evenly and survives a correction."""
    keys = Keys(f"p{uuid.uuid4().hex[:10]}:")
    start = datetime(2026, 6, 2, 19, tzinfo=UTC)  # Tuesday 20:00 BST
    evening = {
        "occurred": {"start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat()}
    }
    first = make_police_incident(record_key="police:profile:1", data=evening)
    moved = {**first, "version": 2, "data": {**first["data"], "category": "drugs"}}
    _apply(infra.redis_url, keys, [decode_incident(encode(first))])
    reader = StoreReader(redis_client, keys, [WIRRAL])
    profile = reader.profile("ward")
    assert profile["E05000956", "burglary"][44:48] == (0.25, 0.25, 0.25, 0.25)
    assert sum(profile["E05000956", "burglary"]) == 1.0
    _apply(infra.redis_url, keys, [decode_incident(encode(moved))])
    profile = reader.profile("ward", epoch_hour(start), epoch_hour(start) + 4)
    assert ("E05000956", "burglary") not in profile, "the retraction leaves no residue"
    assert sum(profile["E05000956", "drugs"]) == 1.0


def test_repeat_callers_and_locations_per_area(infra: Infra, redis_client: Redis) -> None:
    """Callers/addresses seen 2+ and 3+ times in the window are counted per ward; a
    cancellation or a move to another ward changes the counts; no reference is returned."""
    keys = Keys(f"r{uuid.uuid4().hex[:10]}:")
    caller, other, address = "a" * 32, "b" * 32, "c" * 32
    day = datetime(2026, 11, 10, 12, tzinfo=UTC)

    def report(n: int, who: str, days_ago: int, **extra: Any) -> IncidentEvent:
        at = (day - timedelta(days=days_ago)).isoformat()
        event = make_council_asb(
            record_key=f"council:rep:{n}",
            data={
                "caller_ref": who,
                "address_ref": address,
                "occurred": {"start": at, "end": None},
            },
            **extra,
        )
        return decode_incident(encode(event))

    events = [
        report(1, caller, 1),
        report(2, caller, 3),
        report(3, caller, 5),
        report(4, other, 2),
        report(5, other, 40),
    ]  # the 40-days-ago call is outside the 28-day window
    _apply(infra.redis_url, keys, events)
    reader = StoreReader(redis_client, keys, [WIRRAL])
    end = epoch_hour(day) + 1
    found = reader.repeats("ward", end - 28 * 24, end)
    assert found[("caller", "E05000956")] == RepeatCounts(twice=1, three_times=1)
    assert found[("address", "E05000956")] == RepeatCounts(twice=1, three_times=1)
    _apply(infra.redis_url, keys, [report(3, caller, 5, version=2, status="cancelled")])
    found = reader.repeats("ward", end - 28 * 24, end)
    assert found[("caller", "E05000956")] == RepeatCounts(twice=1, three_times=0)
    assert all(caller not in str(k) for k in found)


def test_stage_outcomes_count_each_offset_once(infra: Infra, redis_client: Redis) -> None:
    """A batch's outcomes are counted once per (topic, partition, offset): replaying the
    batch, or a batch that overlaps it, counts only the offsets not seen before."""
    keys = Keys(f"s{uuid.uuid4().hex[:10]}:")

    def outcome(partition: int, offset: int, reason: str | None = None) -> StageOutcome:
        result = "dead-lettered" if reason else "validated"
        return StageOutcome("raw.police", partition, offset, "police", result, reason)

    first = [outcome(0, 0), outcome(0, 1, "invalid-json"), outcome(1, 0)]
    overlap = [outcome(0, 1, "invalid-json"), outcome(0, 2), outcome(1, 0), outcome(1, 1)]

    async def record(batch: list[StageOutcome]) -> int:
        client = AsyncRedis.from_url(infra.redis_url)
        try:
            writer = AggregateWriter(client, keys, AggregationConfig(), load_areas(), 10)
            return await writer.record_outcomes("stage", batch)
        finally:
            await client.aclose()

    assert asyncio.run(record(first)) == 3
    assert asyncio.run(record(first)) == 0
    assert asyncio.run(record(overlap)) == 2
    assert redis_client.hgetall(keys.outcomes) == {
        b"validated|police": b"4",
        b"dead-lettered|police": b"1",
    }
    assert redis_client.hgetall(keys.deadletters) == {b"invalid-json|raw.police": b"1"}
    assert redis_client.hgetall(keys.offsets("stage")) == {
        b"raw.police|0": b"2",
        b"raw.police|1": b"1",
    }


def test_live_view_reads_snapshot_and_windows_in_one_round_trip(
    infra: Infra, redis_client: Redis
) -> None:
    """``live_view`` is ``live_snapshot`` plus ``windows``, in a single pipeline."""
    keys = Keys(f"v{uuid.uuid4().hex[:10]}:")
    now = datetime(2026, 11, 20, 21, tzinfo=UTC)
    events = [
        decode_incident(
            encode(
                make_police_incident(
                    data={
                        "occurred": {"start": (now - timedelta(hours=h)).isoformat(), "end": None}
                    }
                )
            )
        )
        for h in (1, 2, 30)
    ]
    _apply(infra.redis_url, keys, events)
    reader = StoreReader(redis_client, keys, [WIRRAL])
    end = epoch_hour(now) + 1
    spans = [(end - 24, end), (end - 48, end)]
    calls: list[int] = []
    original = redis_client.pipeline

    def counting_pipeline(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    redis_client.pipeline = counting_pipeline  # type: ignore[method-assign]
    try:
        snapshot, rows = reader.live_view(50, "ward", spans)
    finally:
        redis_client.pipeline = original  # type: ignore[method-assign]
    assert len(calls) == 1
    assert [sum(r.count for r in window) for window in rows] == [2, 3]
    assert rows == reader.windows("ward", spans)
    alone = reader.live_snapshot(50)
    assert (snapshot.counts, snapshot.latest, snapshot.freshness) == (
        alone.counts,
        alone.latest,
        alone.freshness,
    )
    assert snapshot.total == 3


def test_reporting_delays_count_each_records_first_arrival(
    infra: Infra, redis_client: Redis
) -> None:
    """Three burglaries known to within two hours (three clock hours unless they start on
    the hour) received an hour after they ended: three in the ``60`` bucket of their width
    on the day received; a redelivery, a correction and a cancellation add nothing."""
    keys = Keys(f"d{uuid.uuid4().hex[:10]}:")
    first = [_version(i, 1, i, 0, False) for i in range(3)]
    later = [first[0], _version(1, 2, 1, 1, False), _version(2, 2, 2, 0, True)]
    _apply(infra.redis_url, keys, first)
    _apply(infra.redis_url, keys, later)
    received = first[0].data.received_at
    assert received - first[0].data.occurred.end == timedelta(hours=1)
    reader = StoreReader(redis_client, keys, [WIRRAL])
    span = span_of(first[0].data.occurred.start, first[0].data.occurred.end)
    width = width_of(span.end - span.start)
    assert reader.arrivals(received, 3).by_category == {("burglary", width): {"60": 3}}
    assert reader.arrivals(received - timedelta(days=1), 3).by_category == {}
    assert redis_client.ttl(keys.delays(f"{received:%Y%m%d}")) > 0  # kept as hourly data
