"""The aggregate change stream on the real worker, broker and Redis: every day and hour cell
a record changes is published with its absolute count and a version; a correction that
moves records publishes both cells again; a consumer that keeps the highest version per
cell — reading the topic twice over, in any order — ends with exactly the store's counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis

from aggregates.buckets import epoch_hour
from safer.settings import Settings
from schemas.aggregates import AggregateChange
from schemas.categories import Source
from schemas.topics import Topics
from store.keys import Keys
from store.reader import StoreReader
from tests.builders import DEFAULT_WARD, encode, key_of, make_fire_incident
from tests.integration.worker import produce, read_topic, running_worker, wait_for

OTHER_WARD = "E05000960"


def _fold(messages: list[bytes]) -> dict[str, AggregateChange]:
    latest: dict[str, AggregateChange] = {}
    for raw in messages:
        change = AggregateChange.model_validate_json(raw)
        known = latest.get(change.cell)
        if known is None or change.version > known.version:
            latest[change.cell] = change
    return latest


def _moved(event: dict[str, Any]) -> dict[str, Any]:
    newer = json.loads(json.dumps(event))
    newer["version"] += 1
    newer["id"] = newer["id"][::-1]
    newer["data"]["location"] = {"ward_code": OTHER_WARD}
    return dict(newer)


def test_changes_carry_absolute_counts_that_converge(
    settings: Settings, tmp_path: Path, redis_client: Redis
) -> None:
    topic = Topics(settings.topic_prefix)
    start = (datetime.now(UTC) - timedelta(hours=2)).replace(minute=10)
    fires = [make_fire_incident(data={"occurred": {"start": start.isoformat()}}) for _ in range(4)]
    with running_worker(settings, tmp_path):
        produce(settings, topic.raw(Source.FIRE).name, [(key_of(f), encode(f)) for f in fires])
        expected_cell = f"ward|{DEFAULT_WARD}|secondary-fire|hour|" + start.strftime(
            "%Y-%m-%dT%H:00:00Z"
        )

        def folded() -> dict[str, AggregateChange]:
            return _fold(read_topic(settings, topic.aggregates.name, 10_000, timeout_s=2))

        wait_for(
            lambda: (c := folded().get(expected_cell)) is not None and c.count == 4,
            60,
            "the ward's hour cell at 4",
        )
        produce(
            settings,
            topic.raw(Source.FIRE).name,
            [(key_of(f), encode(_moved(f))) for f in fires[:3]],
        )
        wait_for(
            lambda: folded()[expected_cell].count == 1,
            60,
            "the ward's hour cell down to 1 after the corrections",
        )
        wait_for(
            lambda: (
                Redis.from_url(settings.require_redis()).zcard(
                    Keys(settings.redis_prefix).aggregates_outbox
                )
                == 0
            ),
            30,
            "the outbox drained",
        )
        messages = read_topic(settings, topic.aggregates.name, 10_000, timeout_s=2)
    latest = _fold(messages + list(reversed(messages)))  # replayed twice, in any order
    assert latest == _fold(messages)
    hour = epoch_hour(start)
    reader = StoreReader.of(redis_client, settings)
    for level in ("ward", "borough", "lsoa"):
        (rows,) = reader.windows(level, [(hour, hour + 1)], unplaced=False)
        store = {(r.area, r.category): r.count for r in rows if r.count}
        stream = {
            (c.area, c.category): c.count
            for c in latest.values()
            if c.level == level and c.grain == "hour" and c.count
        }
        assert stream == store, level
    assert (
        latest[
            f"ward|{OTHER_WARD}|secondary-fire|hour|" + start.strftime("%Y-%m-%dT%H:00:00Z")
        ].count
        == 3
    )
    versions = [AggregateChange.model_validate_json(m).version for m in messages]
    assert len(set(versions)) >= 2
