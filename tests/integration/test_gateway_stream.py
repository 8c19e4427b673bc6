"""The gateway's event stream end to end: raw partner events -> the real worker (validation,
the subscriber's feed) -> its topic -> ``safer gateway`` -> Server-Sent Events over HTTP on
loopback. The subscriber sees exactly its agreed view; resuming by Last-Event-ID loses and
repeats nothing; missing, unknown and revoked keys are refused; errors are JSON."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from safer.settings import Settings
from schemas.categories import Source
from schemas.shared import SharedRecord
from schemas.topics import Topics
from sharing.registry import Subscribers
from tests.builders import encode, key_of, make_council_asb, make_fire_incident
from tests.integration.gateway import read_events, running_gateway
from tests.integration.worker import produce, running_worker, wait_for

AGREEMENT = """subscriber = "fire-prevention"
sources = ["fire"]
level = "records"
precision = "ward"
fields = ["category", "occurred", "cause"]
"""


def _publish(settings: Settings, events: list[dict[str, object]]) -> None:
    topics = Topics(settings.topic_prefix)
    for event in events:
        produce(
            settings, topics.raw(Source(event["source"])).name, [(key_of(event), encode(event))]
        )


def test_a_subscriber_streams_its_view_and_resumes_without_loss(
    settings: Settings, tmp_path: Path
) -> None:
    agreement = tmp_path / "fire-prevention.toml"
    agreement.write_text(AGREEMENT)
    registry = Subscribers(settings.subscribers_path, settings.agreements_path)
    _, key = registry.add("fire-prevention", agreement)
    assert key is not None
    fires = [make_fire_incident() for _ in range(5)]
    with running_worker(settings, tmp_path), running_gateway(settings, tmp_path) as base:
        _publish(settings, [*fires[:3], make_council_asb(), *fires[3:], make_council_asb()])
        first = read_events(base, key, 5, limit="5")
        assert [e.event for e in first] == ["record"] * 5
        assert [e.id for e in first] == ["0", "1", "2", "3", "4"]
        records = [json.loads(e.data) for e in first]
        for record in records:
            SharedRecord.model_validate(record)
            assert record["source"] == "fire"
            assert set(record["data"]) == {"category", "occurred", "cause", "location"}
        assert {r["record_key"] for r in records} == {f["record_key"] for f in fires}

        resumed = read_events(base, key, 3, last_event_id="1", limit="3")
        assert [e.id for e in resumed] == ["2", "3", "4"]
        assert [e.data for e in resumed] == [e.data for e in first[2:]]
        later = [make_fire_incident() for _ in range(2)]
        _publish(settings, later)
        tail = read_events(base, key, 2, last_event_id="4")  # waits for them to arrive
        assert [e.id for e in tail] == ["5", "6"]
        assert {json.loads(e.data)["record_key"] for e in tail} == {f["record_key"] for f in later}
        everything = read_events(base, key, 7, limit="7")
        assert [e.id for e in everything] == [str(i) for i in range(7)]  # no gap, no repeat

        with ThreadPoolExecutor(1) as pool:  # from=end: only what comes next
            following = pool.submit(read_events, base, key, 1, 60.0, **{"from": "end"})
            time.sleep(2.0)
            metrics = httpx.get(f"{base}/metrics").text
            assert 'safer_subscriber_streams{subscriber="fire-prevention"} 1.0' in metrics
            assert 'safer_subscriber_stream_lag{subscriber="fire-prevention"} 0.0' in metrics
            ends = [x for x in metrics.splitlines() if x.startswith("safer_subscriber_topic_end")]
            assert ends[0].split()[-1] in ("6.0", "7.0")  # the broker's end is a lower bound
            newest = make_fire_incident()
            _publish(settings, [newest])
            (only,) = following.result()
        assert only.id == "7"
        assert json.loads(only.data)["record_key"] == newest["record_key"]

        assert httpx.get(f"{base}/v1/stream").status_code == 401
        wrong = httpx.get(f"{base}/v1/stream", headers={"Authorization": "Bearer sk_nope"})
        assert wrong.status_code == 401
        assert wrong.json() == {"error": "unknown or revoked API key"}
        bad = httpx.get(
            f"{base}/v1/stream",
            headers={"Authorization": f"Bearer {key}", "Last-Event-ID": "x"},
        )
        assert bad.status_code == 400
        assert "error" in bad.json()
        beyond = httpx.get(
            f"{base}/v1/stream",
            headers={"Authorization": f"Bearer {key}", "Last-Event-ID": "999"},
        )
        assert beyond.status_code == 400
        document = httpx.get(f"{base}/v1/openapi.json").json()
        assert "/v1/stream" in document["paths"]
        asyncapi = httpx.get(f"{base}/v1/asyncapi.json").json()  # this deployment's topics
        address = asyncapi["channels"]["subscriber"]["address"]
        assert address == f"{settings.topic_prefix}sub.{{subscriber}}.v1"

        registry.revoke("fire-prevention")
        auth = {"Authorization": f"Bearer {key}"}
        wait_for(  # the gateway looks at the subscribers file once a second
            lambda: httpx.get(f"{base}/v1/stream?limit=1", headers=auth).status_code == 401,
            5,
            "the revoked key refused",
        )
