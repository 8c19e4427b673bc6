"""The wider area (Wirral against Merseyside): a whole real Merseyside month through the police
feed and the worker gives, per authority and crime type, exactly an independent pandas count
of the file; Wirral's partnership figures are exactly those of its own rows; corrections,
cancellations and redeliveries of a Liverpool record move the wider level once; ``safer query
counts --level wider`` reads it."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from aggregates.buckets import MONTH, Bucket
from aggregates.config import WIDER_LEVEL, AggregationConfig
from aggregates.hashes import HashName
from feeds.adapters.police import COLUMNS, read_street_csv, to_event
from feeds.adapters.rows import Row
from geography.areas import load_areas
from safer.settings import Settings
from schemas.categories import Source
from schemas.codec import encode_incident
from schemas.deadletter import DeadLetter
from schemas.events import PoliceCrimeEvent
from schemas.topics import Topics
from store.keys import Keys
from store.reader import StoreReader
from store.wider import WiderReader
from store.writer import AggregateWriter
from tests.conftest import Infra
from tests.data_files import (
    DATA,
    MERSEYSIDE,
    WIRRAL,
    data_file,
    pandas_authority_counts,
    pandas_counts,
)
from tests.integration.test_police_feed import month_window
from tests.integration.worker import (
    counter_difference,
    produce,
    read_records,
    running_worker,
    safer_cli,
    wait_for,
)

MONTH_FILE = data_file("2018-03-merseyside-street.csv")
MONTH_ID = "2018-03"
LIVERPOOL = MERSEYSIDE["Liverpool"]
PUBLISHED = datetime(2026, 12, 4, 9, tzinfo=UTC)


def _rows() -> list[Row]:
    return [r for r in read_street_csv(MONTH_FILE) if isinstance(r, Row)]


def _wider(redis: Redis, keys: Keys) -> dict[tuple[str, str], int]:
    comparison = load_areas().comparison
    assert comparison is not None
    (figures,) = WiderReader(redis, keys, comparison).windows([month_window(MONTH_ID)])
    assert all(r.unplaced == 0 for r in figures.rows), "a month-only record is whole in its month"
    return figures.counts()


def _explain(redis: Redis, keys: Keys, expected: dict[tuple[str, str], int]) -> str:
    cells = {f"{a}|{c}": n for (a, c), n in _wider(redis, keys).items()}
    return counter_difference(
        Counter(cells), Counter({f"{a}|{c}": n for (a, c), n in expected.items()})
    )


def _dead_lines(settings: Settings) -> frozenset[int]:
    """The lines of the month the adapter dead-lettered (every dead letter must be one)."""
    topic = Topics(settings.topic_prefix).deadletter.name
    dead = [
        DeadLetter.model_validate_json(r.value) for r in read_records(settings, topic, 10**9, 5)
    ]
    assert all(d.file == str(MONTH_FILE) and d.line for d in dead), dead
    return frozenset(d.line for d in dead if d.line)


def _liverpool_rows(rows: list[Row]) -> tuple[Row, Row]:
    """Two Liverpool burglaries of the month (their LSOA of Liverpool in the Census)."""
    comparison = load_areas().comparison
    assert comparison is not None
    at = COLUMNS.index("LSOA code"), COLUMNS.index("Crime type")
    found = [
        r
        for r in rows
        if comparison.lsoa_authority.get(r.fields[at[0]]) == LIVERPOOL
        and r.fields[at[1]] == "Burglary"
    ]
    return found[0], found[1]


def _raw(row: Row, version: int, cancelled: bool = False) -> tuple[bytes | None, bytes]:
    return row.record_key.encode(), encode_incident(to_event(row, version, PUBLISHED, cancelled))


def test_a_whole_merseyside_month_counts_per_authority_like_an_independent_count(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """March 2018 through ``safer feed police`` and the worker: the wider level equals the
    pandas count per authority and crime type; Wirral's ward and borough figures are the
    count of its rows only; out of area is outside Merseyside alone. Then a Liverpool
    correction, a cancellation, their redeliveries and a stale version move the wider
    level exactly once, and nothing of Wirral."""
    keys = Keys(settings.redis_prefix)
    fed = safer_cli(settings, "feed", "police", str(MONTH_FILE), timeout_s=300)
    assert fed.returncode == 0, fed.stderr
    expected = pandas_authority_counts(MONTH_FILE, _dead_lines(settings))
    wirral_wards = pandas_counts(MONTH_FILE)
    rows = _rows()
    assert set(a for a, _ in expected) == set(MERSEYSIDE.values())
    assert sum(n for (a, _), n in expected.items() if a == LIVERPOOL) > 5000
    with running_worker(settings, tmp_path) as worker:
        wait_for(
            lambda: _wider(redis_client, keys) == expected,
            180,
            "the month at the wider level",
            worker.log_path,
            lambda: _explain(redis_client, keys, expected),
        )
        wider = WiderReader.of(redis_client, settings)
        (month,) = wider.bucket_totals([Bucket(MONTH, "201803")])
        assert month.counts() == expected, "the month's bucket totals: the same figures"
        authorities = Counter({a: 0 for a in MERSEYSIDE.values()})
        for (authority, _), n in expected.items():
            authorities[authority] += n
        assert month.by_authority() == authorities
        assert month.total == sum(authorities.values()) == len(rows) - 3
        partnership = StoreReader.of(redis_client, settings)
        _assert_wirral_is_its_own_rows(partnership, wirral_wards, expected)
        outcomes = partnership.live_snapshot().outcomes
        assert outcomes.get("counted|police") == len(rows)
        outside = len(rows) - sum(expected.values())
        assert outcomes.get("out-of-area|police") == outside == 3, "Halton, Cheshire W., W. Lancs"

        corrected, cancelled = _liverpool_rows(rows)
        robbery = replace(corrected, fields=_with_type(corrected.fields, "Robbery"))
        messages = [_raw(robbery, 2), _raw(cancelled, 2, cancelled=True), _raw(corrected, 1)]
        topic = Topics(settings.topic_prefix).raw(Source.POLICE).name
        produce(settings, topic, messages)
        after = Counter(expected)
        after.subtract({(LIVERPOOL, "burglary"): 2, (LIVERPOOL, "robbery"): -1})
        wait_for(
            lambda: _wider(redis_client, keys) == dict(+after),
            60,
            "the correction and cancellation",
            worker.log_path,
        )
        produce(settings, topic, messages)  # redelivered: the same versions, and a stale one
        wait_for(
            lambda: partnership.live_snapshot().outcomes.get("stale|police") == 2,
            60,
            "the redeliveries",
            worker.log_path,
        )
    snapshot = partnership.live_snapshot().outcomes
    assert (snapshot.get("corrected|police"), snapshot.get("cancelled|police")) == (1, 1)
    assert snapshot.get("duplicate|police") == 2
    assert _wider(redis_client, keys) == dict(+after), "a redelivery changes nothing"
    _assert_wirral_is_its_own_rows(partnership, wirral_wards, dict(+after))
    _assert_query_reads_the_level(settings, tmp_path, dict(+after))


def _with_type(fields: tuple[str, ...], crime_type: str) -> tuple[str, ...]:
    at = COLUMNS.index("Crime type")
    return (*fields[:at], crime_type, *fields[at + 1 :])


def _assert_wirral_is_its_own_rows(
    partnership: StoreReader,
    wirral_wards: dict[tuple[str, str], int],
    wider: dict[tuple[str, str], int],
) -> None:
    """Wirral's ward figures are the independent count of its rows, its borough total and
    its all-time total their sum and its wider figure; its reader sees no other borough."""
    month = month_window(MONTH_ID)
    (ward_rows, borough_rows, own_wider) = partnership.level_windows(
        [("ward", month), ("borough", month), (WIDER_LEVEL, month)]
    )
    assert {(r.area, r.category): r.count for r in ward_rows if r.count} == wirral_wards
    wirral = sum(wirral_wards.values())
    assert {r.area for r in borough_rows} == {r.area for r in own_wider} == {WIRRAL}
    by_category = Counter({c: n for (a, c), n in wider.items() if a == WIRRAL})
    assert Counter({r.category: r.count for r in borough_rows}) == by_category
    assert Counter({r.category: r.count for r in own_wider}) == by_category
    assert sum(by_category.values()) == wirral
    snapshot = partnership.live_snapshot()
    assert snapshot.total == wirral
    assert snapshot.total_by("area") == Counter({WIRRAL: wirral})
    (bucket,) = partnership.bucket_totals("borough", [Bucket(MONTH, "201803")])
    assert sum(r.count for r in bucket) == wirral


def _assert_query_reads_the_level(
    settings: Settings, tmp_path: Path, wider: dict[tuple[str, str], int]
) -> None:
    """``safer query counts --level wider``: one row per authority and crime type, with its
    name and rate per 1,000 residents; a partnership without a comparison: one line, exit 2."""
    window = ["--start", "2018-03-01", "--end", "2018-04-01", "--format", "json"]
    done = safer_cli(settings, "query", "counts", "--level", "wider", *window)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {(r["area"], r["category"]): r["count"] for r in rows} == wider
    comparison = load_areas().comparison
    assert comparison is not None
    for row in rows:
        assert row["area_name"] == comparison.authority_names[row["area"]]
        residents = comparison.population[row["area"]]
        assert row["rate_per_1000"] == round(row["count"] * 1000 / residents, 2)
    other = settings.model_copy(update={"partnership": DATA / "liverpool_city_region.toml"})
    refused = safer_cli(other, "query", "counts", "--level", "wider", *window)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "safer query: error: level 'wider': partnership Liverpool City Region names no "
        "comparison area ([comparison] in its file)"
    ]


def test_the_other_boroughs_change_no_partnership_figure(infra: Infra, redis_client: Redis) -> None:
    """Applied through the writer, the whole month and its Wirral rows alone leave every
    aggregate hash of every partnership level identical; the whole month adds only keys of
    the wider level (Wirral's shard of it included, as its own rows do)."""
    wirral = set(load_areas().lsoa_ward)
    lsoa = COLUMNS.index("LSOA code")
    rows = _rows()
    whole = [to_event(r, 1, PUBLISHED) for r in rows]
    own = [to_event(r, 1, PUBLISHED) for r in rows if r.fields[lsoa] in wirral]
    both = Keys(f"all{uuid.uuid4().hex[:8]}:"), Keys(f"own{uuid.uuid4().hex[:8]}:")

    async def apply(keys: Keys, events: list[PoliceCrimeEvent]) -> None:
        client = AsyncRedis.from_url(infra.redis_url)
        try:
            writer = AggregateWriter(client, keys, AggregationConfig(), load_areas(), 50)
            for i in range(0, len(events), 2000):
                await writer.apply(events[i : i + 2000])
        finally:
            await client.aclose()

    for keys, events in zip(both, (whole, own), strict=True):
        asyncio.run(apply(keys, list(events)))
    dumps = [_aggregates(redis_client, keys) for keys in both]
    partnership = [{n: v for n, v in d.items() if n.level != WIDER_LEVEL} for d in dumps]
    assert partnership[0] == partnership[1]
    levels = {n.level for n in partnership[0]}
    assert levels == {"borough", "ward", "lsoa", "cell", "place"}
    assert sum(len(fields) for fields in partnership[0].values()) > 10_000
    wider = [{n: v for n, v in d.items() if n.level == WIDER_LEVEL} for d in dumps]
    assert {n.authority for n in wider[0]} == set(MERSEYSIDE.values())
    assert {n: v for n, v in wider[0].items() if n.authority == WIRRAL} == wider[1]


def _aggregates(redis: Redis, keys: Keys) -> dict[HashName, dict[bytes | str, bytes | str]]:
    """Every aggregate hash of a deployment (of its live generation: the only one here)."""
    found = {}
    for key in redis.scan_iter(match=keys.generations, count=5000):
        name = keys.hash_of(key)
        if name is not None:
            found[name] = redis.hgetall(key)
    return found


def test_the_month_has_no_row_a_point_alone_would_place() -> None:
    """Why points need no comparison boundaries here: every row of the month that has a
    point has its LSOA code (police.uk publishes both from the same anonymised point)."""
    with MONTH_FILE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert not [r for r in rows if r["Latitude"] and not r["LSOA code"]]
