"""The Parquet archive for BI tools on the real broker and worker: a real police.uk month
(with its re-issued records) archived, then its aggregates rebuilt from the Parquet files
with pandas alone — per ward and category — equal the counts in Redis; archiving again from
the beginning rewrites the same files (idempotent), never a second copy."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pandas as pd
from redis import Redis

from consumers.parquet import run_archive
from geography.areas import load_areas
from safer.settings import Settings
from schemas.topics import Topics
from store.keys import Keys
from tests.data_files import police_months
from tests.integration.test_police_feed import redis_counts
from tests.integration.worker import read_topic, running_worker, safer_cli, wait_for


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


def test_a_month_rebuilt_from_parquet_equals_redis(
    settings: Settings, tmp_path: Path, redis_client: Redis
) -> None:
    month = police_months(2018)[0]
    topics = Topics(settings.topic_prefix)
    with running_worker(settings, tmp_path):
        fed = safer_cli(settings, "feed", "police", str(month), timeout_s=300)
        assert fed.returncode == 0, fed.stderr
        published = len(read_topic(settings, topics.raw_all[0].name, 10**6, 5))
        wait_for(
            lambda: len(read_topic(settings, topics.incidents.name, 10**6, 3)) >= published * 0.9,
            120,
            "the month validated",
        )
        expected = redis_counts(redis_client, Keys(settings.redis_prefix), month.name[:7])
    out = tmp_path / "parquet"
    areas = load_areas()
    archived = asyncio.run(run_archive(settings, topics.incidents.name, out, areas, 3.0))
    assert archived > 1000

    table = pd.read_parquet(out / topics.incidents.name)  # one partitioned dataset
    assert set(table["source"].astype(str)) == {"police"}
    assert set(table["day"].astype(str)) == {"2018-03-01"}  # a police.uk month starts the 1st
    latest = table.sort_values("version").groupby("record_key").tail(1)
    counted = latest[(latest["status"] == "active") & latest["counted_ward"].notna()]
    rebuilt = counted.groupby(["counted_ward", "category"]).size().to_dict()
    assert rebuilt == expected
    assert sum(expected.values()) > 1000

    before = _digests(out)
    settings = settings.model_copy(update={"consumer_group": settings.consumer_group + "-2"})
    asyncio.run(run_archive(settings, topics.incidents.name, out, areas, 3.0))  # a replay
    assert _digests(out) == before
