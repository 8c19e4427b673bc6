"""Hostile input through the real worker: records that once passed validation and stopped the
tracker (issue 13's table), faults injected into the engine's state, and pre-bounds records
on the canonical topic. Each ends dead-lettered with its reason, the worker never exits,
the good events around it are counted exactly and ``safer query`` keeps working."""

from __future__ import annotations

import asyncio
import json
from base64 import b64decode
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from aggregates.buckets import HOUR
from aggregates.config import AggregationConfig
from aggregates.contributions import contribution
from aggregates.hashes import TOTALS
from aggregates.inputs import from_canonical
from bus.admin import ensure_topics
from cli.stack.procs import Component
from geography.areas import load_areas
from safer.settings import Settings
from schemas.categories import Source
from schemas.deadletter import DeadLetter
from schemas.topics import Topics
from store.keys import Keys
from store.reader import StoreReader
from streams.rebuild import Rebuild, run_rebuild
from tests.builders import DEFAULT_WARD, NOW, count_cell, encode, key_of, make_police_incident
from tests.integration.worker import produce, read_topic, running_worker, safer_cli, wait_for

Event = dict[str, Any]


def _start(at: str, end: str | None = None) -> Event:
    occurred = {"start": at} | ({"end": end} if end else {})
    return make_police_incident(data={"occurred": occurred})


def _occurred(event: Event, start: Any, end: Any = None) -> Event:
    event["data"]["occurred"] = {"start": start} | ({"end": end} if end else {})
    return event


# Issue 13's table (each passed validation and crashed or stalled the worker) and the
# inputs it lists as wrongly accepted: (name, event, expected reason).
TABLE: list[tuple[str, Callable[[], Event], str]] = [
    ("year 1 at +01:00", lambda: _start("0001-01-01T00:30:00+01:00"), "out-of-range"),
    ("year 1 UTC", lambda: _start("0001-01-01T00:00:00Z"), "out-of-range"),
    ("year 9999", lambda: _start("9999-12-31T23:30:00Z"), "out-of-range"),
    ("version 10**30", lambda: make_police_incident(version=10**30), "out-of-range"),
    (
        "interval 1900-2100",
        lambda: _start("1900-01-01T00:00:00Z", "2100-01-01T00:00:00Z"),
        "out-of-range",
    ),
    (
        "interval 1970-2470",
        lambda: _start("1970-01-01T00:00:00Z", "2470-01-01T00:00:00Z"),
        "out-of-range",
    ),
    (
        "interval of 401 days",
        lambda: _start("2024-01-01T00:00:00Z", "2025-02-05T00:00:00Z"),
        "out-of-range",
    ),
    (
        "received_at in year 9999 at -05:00",
        lambda: make_police_incident(data={"received_at": "9999-12-31T22:00:00-05:00"}),
        "out-of-range",
    ),
    (
        "envelope time in year 9999",
        lambda: make_police_incident(time="9999-12-31T22:00:00-05:00"),
        "out-of-range",
    ),
    (
        "a name and phone number as place",
        lambda: make_police_incident(
            data={"location": {"place": "On or near John Smith 07700 900123"}}
        ),
        "personal-data",
    ),
    (
        "a name as place",
        lambda: make_police_incident(data={"location": {"place": "On or near John Smith"}}),
        "personal-data",
    ),
    ("a number as a time", lambda: _occurred(make_police_incident(), 12345), "invalid"),
]


def _running(worker: Component, pid: int | None) -> bool:
    return worker.alive() and worker.pid == pid


def _cells(redis: Redis, settings: Settings) -> dict[str, int]:
    reader = StoreReader.of(redis, settings)
    return {count_cell(r.source, r.area, r.category): r.count for r in reader.counts()}


def _dead(settings: Settings, n: int) -> list[DeadLetter]:
    topic = Topics(settings.topic_prefix).deadletter.name
    return [DeadLetter.model_validate_json(v) for v in read_topic(settings, topic, n)]


def _query_works(settings: Settings) -> None:
    done = safer_cli(
        settings, "query", "counts", "--level", "ward", "--window", "24h", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)


def test_issue_table_rows_are_dead_lettered_and_the_worker_keeps_running(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """Every input of the table ends dead-lettered with its reason, one by one, while the
    worker runs on (same process), a good event after each is counted and `safer query
    counts --window 24h` works after each."""
    topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
    with running_worker(settings, tmp_path) as worker:
        wait_for(worker.alive, 10, "worker start")
        pid = worker.pid
        assert pid is not None
        for i, (name, build, reason) in enumerate(TABLE, start=1):
            bad, good = build(), make_police_incident()
            produce(settings, topic, [(key_of(bad), encode(bad)), (key_of(good), encode(good))])
            expected = {count_cell("police", DEFAULT_WARD, "burglary"): i}
            wait_for(
                lambda e=expected: _cells(redis_client, settings) == e,  # type: ignore[misc]
                60,
                f"the good event after {name!r}",
                worker.log_path,
            )
            letters = _dead(settings, i)
            letter = next(d for d in letters if d.original_value == encode(bad))
            assert letter.reason.value == reason, (name, letter.detail)
            assert letter.topic == topic, name
            assert letter.offset is not None, name
            assert _running(worker, pid), f"the worker exited after {name!r}"
            _query_works(settings)
    assert len({d.original_value for d in letters}) == len(TABLE)


def test_a_correction_after_an_out_of_range_version_is_counted(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """Version 10**30 of a record is refused; the record's next real version is counted (it
    was once treated as a duplicate of the stored 1e+30)."""
    topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
    first = make_police_incident(version=10**30)
    second = {**first, "id": "second-version", "version": 2}
    second["data"] = {**first["data"], "category": "robbery"}
    with running_worker(settings, tmp_path) as worker:
        produce(settings, topic, [(key_of(first), encode(first)), (key_of(second), encode(second))])
        expected = {count_cell("police", DEFAULT_WARD, "robbery"): 1}
        wait_for(lambda: _cells(redis_client, settings) == expected, 60, "v2", worker.log_path)
        (letter,) = _dead(settings, 1)
    assert letter.reason.value == "out-of-range"


def test_null_empty_keyless_and_other_keys_have_reasons_of_their_own(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """A null value, an empty message, JSON null, an event without a Kafka key and one whose
    key is another record's are told apart; a ward code that does not exist is replaced by
    its LSOA's ward."""
    topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
    keyless, other_key = make_police_incident(), make_police_incident()
    unknown_ward = make_police_incident()  # in a Wirral LSOA, with a ward that does not exist
    unknown_ward["data"]["location"]["ward_code"] = "E05999999"
    messages: list[tuple[bytes | None, bytes | None]] = [
        (b"k-null", None),
        (b"k-empty", b""),
        (b"k-json-null", b"null"),
        (None, encode(keyless)),
        (b"another-record", encode(other_key)),
        (key_of(unknown_ward), encode(unknown_ward)),
    ]
    with running_worker(settings, tmp_path) as worker:
        produce(settings, topic, messages)  # type: ignore[arg-type]
        expected = {count_cell("police", DEFAULT_WARD, "burglary"): 1}
        wait_for(lambda: _cells(redis_client, settings) == expected, 60, "ward", worker.log_path)
        letters = _dead(settings, 5)
    by_key = {None if d.key_b64 is None else b64decode(d.key_b64): d.reason.value for d in letters}
    assert by_key == {
        b"k-null": "null-value",
        b"k-empty": "empty",
        b"k-json-null": "not-object",
        None: "missing-key",
        b"another-record": "key-mismatch",
    }


def _record_key(settings: Settings, event: Event) -> str:
    return Keys(settings.redis_prefix).record(event["record_key"], "0")


def test_an_unreadable_stored_state_dead_letters_that_event_only(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """A record whose stored state cannot be read (written before versions were bounded: '1e+30')
    makes its next version a processing-error dead letter; the rest of its batch is counted."""
    topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
    poisoned = make_police_incident(version=2)
    good = [make_police_incident() for _ in range(20)]
    with running_worker(settings, tmp_path) as worker:  # (it resets derived state first)
        redis_client.set(_record_key(settings, poisoned), "1e+30\t")
        pid = worker.pid
        batch = [poisoned, *good, good[0]]  # and a redelivery, in the batch or the next
        produce(settings, topic, [(key_of(e), encode(e)) for e in batch])
        expected = {count_cell("police", DEFAULT_WARD, "burglary"): len(good)}
        wait_for(lambda: _cells(redis_client, settings) == expected, 60, "good", worker.log_path)
        (letter,) = _dead(settings, 1)
        assert _running(worker, pid)
        _query_works(settings)
    assert letter.reason.value == "processing-error"
    assert letter.detail.startswith("ValueError:")
    assert letter.original_value == encode(poisoned)
    outcomes = StoreReader.of(redis_client, settings).live_snapshot().outcomes
    assert outcomes["validated|police"] == len(good) + 1
    assert outcomes["dead-lettered|police"] == 1
    assert outcomes["counted|police"] == len(good)
    assert outcomes["duplicate|police"] == 1


def test_a_script_error_is_isolated_to_the_event_whose_key_it_met(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """A key of the wrong type under one event's aggregate (the apply script refuses it before
    its first write) dead-letters that event; the batch around it is counted exactly once."""
    topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
    hours_ago = (NOW - timedelta(hours=30)).isoformat()
    poisoned = make_police_incident(data={"category": "robbery", "occurred": {"start": hours_ago}})
    del poisoned["data"]["occurred"]["end"]
    good = [make_police_incident() for _ in range(30)]
    config = AggregationConfig.from_settings(settings)
    cells = contribution(from_canonical(json.loads(encode(poisoned)), load_areas()), config)
    hour_hash = next(
        name
        for name, _ in cells
        if (name.kind, name.grain, name.level, name.breakdown) == (TOTALS, HOUR, "ward", "cat")
    )
    with running_worker(settings, tmp_path) as worker:  # (it resets derived state first)
        redis_client.set(Keys(settings.redis_prefix).aggregate(hour_hash, "0"), "not a hash")
        pid = worker.pid
        produce(
            settings, topic, [(key_of(e), encode(e)) for e in [*good[:15], poisoned, *good[15:]]]
        )
        expected = {count_cell("police", DEFAULT_WARD, "burglary"): len(good)}
        wait_for(lambda: _cells(redis_client, settings) == expected, 60, "good", worker.log_path)
        (letter,) = _dead(settings, 1)
        assert _running(worker, pid)
    assert letter.reason.value == "processing-error"
    assert "WRONGTYPE" in letter.detail
    assert letter.original_value == encode(poisoned)


def test_rebuild_skips_pre_bounds_records_on_the_canonical_topic_with_a_count(
    settings: Settings, redis_client: Redis
) -> None:
    """Records written to the canonical topic before the bounds (year 1, a float version) are
    skipped by `safer rebuild` and counted in its report; the good ones are rebuilt."""
    ensure_topics(settings.require_kafka(), Topics(settings.topic_prefix), settings.partitions)
    topic = Topics(settings.topic_prefix).incidents.name
    good = [json.loads(encode(make_police_incident())) for _ in range(5)]
    year_one = json.loads(encode(make_police_incident()))
    year_one["data"]["occurred"] = {"start": "0001-01-01T00:00:00+00:00"}
    float_version = json.loads(encode(make_police_incident())) | {"version": 1e30}
    docs = [*good[:2], year_one, *good[2:], float_version]
    produce(settings, topic, [(d["record_key"].encode(), json.dumps(d).encode()) for d in docs])
    done = safer_cli(settings, "rebuild")
    assert done.returncode == 0, done.stderr
    assert "(1 unreadable and 1 unaggregatable skipped)" in done.stdout
    expected = {count_cell("police", DEFAULT_WARD, "burglary"): len(good)}
    assert _cells(redis_client, settings) == expected


def test_a_failed_rebuild_gives_its_generation_number_back(
    settings: Settings, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild that fails before its swap (here: its catch-up raises) leaves the generation
    counter where it was and none of its keys; the next rebuild takes that number."""
    ensure_topics(settings.require_kafka(), Topics(settings.topic_prefix), settings.partitions)
    keys = Keys(settings.redis_prefix)
    event = json.loads(encode(make_police_incident()))
    canonical = Topics(settings.topic_prefix).incidents.name
    produce(settings, canonical, [(event["record_key"].encode(), json.dumps(event).encode())])

    async def broken(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("injected: the rebuild fails mid-way")

    monkeypatch.setattr(Rebuild, "_catch_up", broken)
    with pytest.raises(RuntimeError, match="injected"):
        run_rebuild(settings, processes=1)
    assert int(redis_client.get(keys.generation_counter) or 0) == 0
    assert not list(redis_client.scan_iter(match=f"{keys.generation(1)}*"))
    monkeypatch.undo()
    assert run_rebuild(settings, processes=1).generation == 1


def test_one_bad_stored_value_never_fails_a_read(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """A counter that is not a number, a detail field without a readable span (a negative
    hour, as an interval from 1900 once wrote) and a ticker row that is not JSON: `safer
    query`, the read API and the Live snapshot skip them and report the rest exactly."""
    topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
    events = [make_police_incident() for _ in range(3)]
    with running_worker(settings, tmp_path) as worker:
        produce(settings, topic, [(key_of(e), encode(e)) for e in events])
        expected = {count_cell("police", DEFAULT_WARD, "burglary"): 3}
        wait_for(lambda: _cells(redis_client, settings) == expected, 60, "counts", worker.log_path)
    keys = Keys(settings.redis_prefix)
    base = keys.generation(0)
    totals = [k.decode() for k in redis_client.scan_iter(match=f"{base}a:*")]
    details = [k.decode() for k in redis_client.scan_iter(match=f"{base}x:*")]
    assert totals
    assert details, "the events' two-hour intervals are stored as details"
    for key in totals:
        redis_client.hset(key, f"{DEFAULT_WARD}|robbery", "not a number")
    for key in details:
        redis_client.hset(key, f"{DEFAULT_WARD}|robbery|-438291--438290", 1)
    redis_client.hset(keys.latest_data, events[0]["record_key"], "{not json")
    reader = StoreReader.of(redis_client, settings)
    assert _cells(redis_client, settings) == expected
    snapshot, (window,) = reader.live_view(10, "ward", [(0, 10**6)])
    assert len(snapshot.latest) == 2  # the unreadable row skipped
    assert {(r.area, r.category, r.count) for r in window} == {(DEFAULT_WARD, "burglary", 3)}
    day = ("--start", "2026-11-20T00:00Z", "--end", "2026-11-21T00:00Z")  # the events' day
    done = safer_cli(settings, "query", "counts", "--level", "ward", *day, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = [(r["area"], r["category"], r["count"]) for r in json.loads(done.stdout)]
    assert rows == [(DEFAULT_WARD, "burglary", 3)]
    _query_works(settings)
