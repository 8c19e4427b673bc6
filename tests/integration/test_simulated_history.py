"""Simulated history for real: published through the raw topics and counted by the real
worker before `safer up` starts live traffic, marked as such; none at `--history 0` and
none on a log that holds records."""

from __future__ import annotations

import io
import json
import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from redis import Redis
from rich.console import Console

from aggregates.buckets import epoch_hour
from bus.admin import holds_records
from cli.stack.history import HistoryRequest, publish_history
from safer.settings import Settings
from schemas.codec import ValidationError, decode_incident
from schemas.events import IncidentEvent
from schemas.topics import Topics
from store.keys import Keys
from store.reader import StoreReader
from store.simulated import read_history
from streams.worker import prepare
from tests.builders import count_cell
from tests.integration.worker import produce, running_worker, safer_cli, wait_for
from tests.stack import LiveStack

DAY = timedelta(days=1)


def raw_values(settings: Settings, expect: int, timeout_s: float = 30.0) -> list[bytes]:
    """Every message on the raw topics (waits for ``expect`` of them, then one more second:
    the embedded broker's end offsets are only a lower bound)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
        consumer_timeout_ms=1000,
    )
    try:
        names = [spec.name for spec in Topics(settings.topic_prefix).raw_all]
        consumer.assign(
            [TopicPartition(n, p) for n in names for p in consumer.partitions_for_topic(n) or ()]
        )
        consumer.seek_to_beginning()
        values: list[bytes] = []
        deadline = time.monotonic() + timeout_s
        while len(values) < expect and time.monotonic() < deadline:
            values.extend(record.value for record in consumer)
        values.extend(record.value for record in consumer)
        return values
    finally:
        consumer.close()


def latest_versions(values: list[bytes]) -> list[IncidentEvent]:
    """Each record's highest version among the decodable messages (malformed ones fail)."""
    latest: dict[str, IncidentEvent] = {}
    for value in values:
        try:
            event = decode_incident(value)
        except ValidationError:
            continue
        known = latest.get(event.record_key)
        if known is None or event.version > known.version:
            latest[event.record_key] = event
    return list(latest.values())


def test_history_is_counted_by_the_worker_in_the_past_and_marked(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    """A day of history goes through the raw topics; when the step returns the worker has
    counted it (every record's latest version, per ward and category), every event lies in
    the past, and the marker in Redis says what was published."""
    out = io.StringIO()
    before = datetime.now(UTC)
    with running_worker(settings, tmp_path) as worker:
        history = publish_history(settings, HistoryRequest(DAY, 0.05), Console(file=out))
        assert history is not None
        values = raw_values(settings, history.messages)
        assert len(values) == history.messages > 3_000
        events = latest_versions(values)
        expected = Counter(
            count_cell(e.source.value, e.data.location.ward_code, e.category)
            for e in events
            if e.status.value == "active"
        )
        reader = StoreReader.of(redis_client, settings)

        def counts() -> Counter[str]:
            return Counter(
                {count_cell(r.source, r.area, r.category): r.count for r in reader.counts()}
            )

        # the minutes spent counting are topped up afterwards, not waited for
        wait_for(lambda: counts() == expected, 60, "the whole history counted", worker.log_path)
    assert "history: publishing 1 day " in out.getvalue()
    assert "history: worker counting" in out.getvalue()
    assert read_history(redis_client, Keys(settings.redis_prefix)) == history
    assert before - DAY <= history.start <= datetime.now(UTC) - DAY
    assert history.rate == 0.05
    assert {e.source.value for e in events} == {"police", "council", "fire"}
    for event in events:
        occurred = event.data.occurred
        assert history.start <= event.time <= history.end
        assert (occurred.end or occurred.start) < history.end
    now_hour = epoch_hour(datetime.now(UTC))
    (future,) = reader.windows("borough", [(now_hour + 1, now_hour + 24 * 30)])
    assert sum(row.count for row in future) == 0
    (span,) = reader.windows("borough", [(now_hour - 24 * 5, now_hour + 1)])
    assert sum(row.count for row in span) == sum(expected.values())


def test_history_zero_publishes_nothing(settings: Settings, redis_client: Redis) -> None:
    """At span 0 the step publishes nothing and sets no marker."""
    prepare(settings)
    request = HistoryRequest(timedelta(0), 0.05)
    history = publish_history(settings, request, Console(file=io.StringIO()))
    assert history is None
    topics = Topics(settings.topic_prefix)
    assert not holds_records(settings.require_kafka(), [spec.name for spec in topics.all])
    assert read_history(redis_client, Keys(settings.redis_prefix)) is None


def test_a_log_that_holds_records_gets_no_history(settings: Settings, redis_client: Redis) -> None:
    """One record already on a raw topic: no history is published and no marker set."""
    prepare(settings)
    topic = Topics(settings.topic_prefix).raw_all[1].name
    produce(settings, topic, [(b"k", b'{"not": "an event"}')])
    out = io.StringIO()
    history = publish_history(settings, HistoryRequest(DAY, 0.05), Console(file=out))
    assert history is None
    assert "already holds records" in out.getvalue()
    assert len(raw_values(settings, 2)) == 1
    assert read_history(redis_client, Keys(settings.redis_prefix)) is None


def test_safer_simulate_publishes_history_before_its_own_traffic(
    settings: Settings, redis_client: Redis
) -> None:
    """`safer simulate --history 1d --count 5` publishes a day of history and marks it,
    then its five messages of now."""
    result = safer_cli(settings, "simulate", "--history", "1d", "--rate", "0.01", "--count", "5")
    assert result.returncode == 0, result.stderr
    history = read_history(redis_client, Keys(settings.redis_prefix))
    assert history is not None
    assert f"published {history.messages} simulated messages arriving from" in result.stdout
    assert "published 5 simulated messages" in result.stdout
    assert len(raw_values(settings, history.messages + 5)) == history.messages + 5


def test_safer_up_counts_the_history_before_live_traffic_and_shows_it(
    tmp_path: Path, namespace: str
) -> None:
    """`safer up --history 1d` on its empty log: the history is counted before the
    simulator starts, and the stack file and `safer status` say it is simulated."""
    stack = LiveStack(
        tmp_path / "state", namespace, ["--rate", "0.2", "--history", "1d", "--no-dashboard"]
    )
    stack.start(timeout_s=180)
    try:
        marker = stack.info["simulated_history"]
        assert marker["messages"] > 15_000
        assert marker["rate"] == 0.2
        start, end = (datetime.fromisoformat(marker[k]) for k in ("start", "end"))
        assert timedelta(days=1) < end - start < timedelta(days=1, minutes=10)
        assert stack.snapshot().total > 10_000  # counted when the stack file is written
        output = stack.output.read_text()
        counting = output.index("history: worker counting")
        assert counting < output.index("component='simulator'")
        status = safer_cli(
            stack.settings.model_copy(update={"kafka_bootstrap": None, "redis_url": None}),
            "status",
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert re.search(r"[\d,]+ simulated messages arriving from", status.stdout)
        assert json.loads(stack.settings.stack_file.read_text())["simulated_history"] == marker
        assert stack.stop(signal.SIGINT) == 0
    finally:
        stack.kill_all()
