"""Police data as published: every shared 2018 Merseyside street-crime month, adapted and
counted in Redis, equals an independent pandas count of the CSV per Wirral ward and crime
type; and ``safer feed police`` through the real broker and worker publishes a month once,
reports bad rows by file and line, and turns a re-issued month into corrections and
cancellations.
"""

from __future__ import annotations

import asyncio
import csv
import subprocess
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from aggregates.buckets import epoch_hour
from aggregates.config import AggregationConfig
from feeds.adapters.police import month_interval, read_street_csv, to_event
from feeds.adapters.rows import Row
from geography.areas import load_areas
from safer.settings import Settings
from schemas.categories import Source
from schemas.codec import encode_incident
from schemas.deadletter import DeadLetter
from schemas.topics import Topics
from store.keys import Keys
from store.reader import StoreReader
from store.writer import AggregateWriter
from streams.validation import Rejection, classify
from tests.conftest import Infra
from tests.data_files import WIRRAL, pandas_counts, police_months
from tests.integration.worker import read_topic, running_worker, safer_cli, wait_for

MONTHS_2018 = police_months(2018)
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def month_window(month: str) -> tuple[int, int]:
    start, end = month_interval(month)
    return epoch_hour(start), epoch_hour(end)


def redis_counts(redis: Redis, keys: Keys, month: str) -> dict[tuple[str, str], int]:
    rows = StoreReader(redis, keys, [WIRRAL]).window("ward", *month_window(month)).rows
    assert all(r.unplaced == 0 for r in rows), "a month-only record is whole in its month"
    return {(r.area, r.category): r.count for r in rows if r.count}


def test_every_shared_2018_month_is_here() -> None:
    assert [p.name[:7] for p in MONTHS_2018] == [
        "2018-03",
        "2018-04",
        "2018-05",
        "2018-06",
        "2018-07",
        "2018-12",
    ]


@pytest.mark.parametrize("path", MONTHS_2018, ids=[p.name[:7] for p in MONTHS_2018])
def test_every_2018_month_counts_exactly_like_pandas(
    infra: Infra, redis_client: Redis, path: Path
) -> None:
    """Adapted rows pass the worker's own validation and, applied to Redis, give per Wirral
    ward and crime type exactly the pandas count; applying them again changes nothing."""
    keys = Keys(f"pol{uuid.uuid4().hex[:8]}:")
    rows = [r for r in read_street_csv(path) if isinstance(r, Row)]
    events = []
    for row in rows:
        event = to_event(row, 1, NOW)
        checked = classify(row.record_key.encode(), encode_incident(event), Source.POLICE)
        assert not isinstance(checked, Rejection), checked
        events.append(checked)
    assert len({e.record_key for e in events}) == len(events) == len(rows)

    async def apply() -> None:
        client = AsyncRedis.from_url(infra.redis_url)
        try:
            writer = AggregateWriter(client, keys, AggregationConfig(), load_areas(), 50)
            for i in range(0, len(events), 2000):
                await writer.apply(events[i : i + 2000])
        finally:
            await client.aclose()

    month = path.name[:7]
    expected = pandas_counts(path)
    assert sum(expected.values()) > 2000, "a Wirral month has thousands of records"
    asyncio.run(apply())
    assert redis_counts(redis_client, keys, month) == expected
    asyncio.run(apply())
    assert redis_counts(redis_client, keys, month) == expected


def _feed(settings: Settings, path: Path) -> subprocess.CompletedProcess[str]:
    return safer_cli(settings, "feed", "police", str(path), timeout_s=300)


def _summary(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    return lines[-1]


def _reissue(source: Path, tmp_path: Path) -> tuple[Path, list[list[str]], int, int]:
    """The month re-issued: a Wirral burglary dropped, a Wirral robbery recategorised and one
    broken row appended. Returns the file, its rows before the drop (the robbery changed) and
    the indexes of the dropped and the changed row."""
    lines = source.read_text(encoding="utf-8").splitlines()
    wirral = set(load_areas().lsoa_ward)
    fields = [next(csv.reader([line])) for line in lines]
    dropped = next(i for i, f in enumerate(fields) if f[7] in wirral and f[9] == "Burglary")
    changed = next(i for i, f in enumerate(fields) if f[7] in wirral and f[9] == "Robbery")
    fields[changed][9] = "Other theft"
    reissue = tmp_path / source.name
    with reissue.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        for i, f in enumerate(fields):
            if i != dropped:
                writer.writerow(f)
        out.write("not,a,row\n")
    return reissue, fields, dropped, changed


def test_feed_command_publishes_once_reissues_and_dead_letters(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """Through the real broker and worker: a month lands exactly; the same file again
    publishes nothing; a re-issue with a vanished, a changed and a bad row publishes one
    cancellation and one correction, and the bad row goes to the dead-letter topic with its
    file and line."""
    source = MONTHS_2018[0]
    month = source.name[:7]
    keys = Keys(settings.redis_prefix)
    first = _feed(settings, source)
    assert first.returncode == 0, first.stderr
    total = sum(1 for _ in csv.reader(source.open())) - 1
    assert f"published {total:,} ({total:,} new, 0 changed, 0 cancelled)" in _summary(first)
    again = _feed(settings, source)
    assert again.returncode == 0, again.stderr
    assert f"published 0 (0 new, 0 changed, 0 cancelled); unchanged {total:,}" in _summary(again)

    reissue, fields, dropped, changed = _reissue(source, tmp_path)
    wirral = set(load_areas().lsoa_ward)
    bad_line = len(fields)  # the header is line 1; one row dropped, the bad one appended
    third = _feed(settings, reissue)
    assert third.returncode == 1, "rejected rows make the exit code 1"
    assert f"{reissue}:{bad_line}: expected 12 columns, found 3" in third.stderr
    assert "published 2 (0 new, 1 changed, 1 cancelled)" in _summary(third)
    assert "rejected 1" in _summary(third)

    expected = pandas_counts(reissue)
    with running_worker(settings, tmp_path) as worker:
        wait_for(
            lambda: redis_counts(redis_client, keys, month) == expected,
            180,
            "counts of the re-issued month",
            worker.log_path,
        )
    dead = [
        DeadLetter.model_validate_json(v)
        for v in read_topic(settings, Topics(settings.topic_prefix).deadletter.name, 1)
    ]
    assert [(d.reason.value, d.file, d.line) for d in dead] == [
        ("invalid-row", str(reissue), bad_line)
    ]
    assert dead[0].original_value == b"not,a,row"
    outcomes = StoreReader(redis_client, keys, [WIRRAL]).live_snapshot().outcomes
    assert outcomes.get("cancelled|police") == 1
    assert outcomes.get("corrected|police") == 1
    merseyside = load_areas().comparison
    assert merseyside is not None
    others = sum(1 for f in fields[1:] if f[7] not in wirral and f[7] in merseyside.lsoa_authority)
    assert others > 10_000, "most Merseyside records are in the other four boroughs"
    outside = sum(1 for f in fields[1:] if f[7] not in merseyside.lsoa_authority)
    assert 0 < outside < 10, "a few are in neighbouring forces' areas"
    assert outcomes.get("out-of-area|police") == outside, "kept, tagged, counted nowhere"
    ward_of = load_areas().lsoa_ward
    before = Counter(pandas_counts(source))
    before.subtract(
        {
            (ward_of[fields[dropped][7]], "burglary"): 1,
            (ward_of[fields[changed][7]], "robbery"): 1,
            (ward_of[fields[changed][7]], "other-theft"): -1,
        }
    )
    assert +before == Counter(expected), "the re-issue moved exactly these counts"
