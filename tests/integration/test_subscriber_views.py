"""A restricted subscriber over all three ways in at once — its Kafka topic, the gateway's
Server-Sent Events and a signed webhook — while a real police.uk month is replayed and
simulated traffic (with its duplicates, corrections and cancellations) flows: all three
carry the same messages, in the same order; every one is within the agreement (sources,
categories, the two agreed wards, snapped-point precision, the agreed fields); and the
subscriber's final state equals the agreement's view of the canonical log, record by record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aggregates.inputs import record_areas
from geography.areas import load_areas
from geography.police_points import load_police_points
from safer.settings import Settings
from schemas.shared import SharedRecord
from schemas.topics import Topics
from sharing.agreements import load_agreement
from sharing.registry import Subscribers
from sharing.view import Scope, shared_view
from tests.data_files import police_months
from tests.integration.gateway import read_events, running_gateway
from tests.integration.test_gateway_webhooks import receiving
from tests.integration.worker import read_topic, running_worker, safer_cli, wait_for

WARDS = ("E05000956", "E05000968")  # Birkenhead and Tranmere; Rock Ferry
AGREEMENT = f"""subscriber = "youth-justice"
sources = ["police", "council"]
level = "records"
precision = "snapped-point"
categories = ["anti-social-behaviour", "burglary", "asb-nuisance", "asb-personal"]
areas = {json.dumps(list(WARDS))}
fields = ["category", "occurred", "people.youth"]
"""


def _final(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per record, the message with the highest version (a withdrawal included)."""
    final: dict[str, dict[str, Any]] = {}
    for m in messages:
        known = final.get(m["record_key"])
        if known is None or m["version"] >= known["version"]:
            final[m["record_key"]] = m
    return final


def test_kafka_sse_and_webhook_carry_exactly_the_agreed_view(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "youth-justice.toml"
    path.write_text(AGREEMENT)
    registry = Subscribers(settings.subscribers_path, settings.agreements_path)
    _, key = registry.add("youth-justice", path)
    assert key is not None
    areas = load_areas()
    topics = Topics(settings.topic_prefix)
    with receiving() as receiver, running_worker(settings, tmp_path):
        secret = registry.set_webhook("youth-justice", receiver.url)
        assert secret is not None
        receiver.secret = secret
        with running_gateway(settings, tmp_path) as base:
            fed = safer_cli(settings, "feed", "police", str(police_months(2018)[0]), timeout_s=300)
            assert fed.returncode == 0, fed.stderr
            simulated = safer_cli(settings, "simulate", "--count", "3000", "--seed", "18")
            assert simulated.returncode == 0, simulated.stderr

            canonical = [
                json.loads(v) for v in read_topic(settings, topics.incidents.name, 10**6, 5)
            ]
            scope = Scope.of(load_agreement(path, areas), areas, load_police_points())
            latest: dict[str, dict[str, Any]] = {}
            for doc in canonical:
                if doc["version"] >= latest.get(doc["record_key"], {"version": 0})["version"]:
                    latest[doc["record_key"]] = doc
            expected = {k: shared_view(d, scope) for k, d in latest.items()}
            in_view = {k: v for k, v in expected.items() if v is not None}
            assert len(in_view) > 50  # the month and the traffic both put records in view

            sub_topic = topics.subscriber("youth-justice").name

            def on_kafka() -> list[dict[str, Any]]:
                return [json.loads(v) for v in read_topic(settings, sub_topic, 10**6, 3)]

            wait_for(
                lambda: (
                    {k for k, m in _final(on_kafka()).items() if m["status"] == "active"}
                    >= {k for k, v in in_view.items() if v["status"] == "active"}
                ),
                120,
                "every record in view on the subscriber's topic",
            )
            kafka = on_kafka()
            sse = [
                json.loads(e.data)
                for e in read_events(base, key, len(kafka), limit=str(len(kafka)))
            ]
            wait_for(
                lambda: len(receiver.delivered) >= len({m["id"] for m in kafka}), 120, "webhooks"
            )

    assert [m["id"] for m in sse] == [m["id"] for m in kafka]
    assert {i for i, verified in receiver.attempts if verified} == {m["id"] for m in kafka}
    assert all(verified for _, verified in receiver.attempts)
    points = load_police_points()
    for m in kafka:
        SharedRecord.model_validate(m)
        assert m["source"] in ("police", "council")
        data = m["data"]
        if m["status"] == "cancelled" and not data:
            continue  # a withdrawal: the envelope only
        assert set(data) <= {"category", "occurred", "people", "location"}
        assert data["category"] in scope.agreement.categories  # type: ignore[operator]
        assert set(data.get("people", {})) <= {"youth"}
        where = data["location"]
        assert where["ward_code"] in WARDS
        assert set(where) <= {"lat", "lon", "place", "lsoa_code", "ward_code"}
        if "lat" in where:
            snapped = {(p.lat, p.lon) for p in points.get(where["lsoa_code"], ())}
            interior = {(a.lat, a.lon) for a in areas.lsoas if a.code == where["lsoa_code"]}
            assert (where["lat"], where["lon"]) in snapped | interior
        assert dict(record_areas(where, areas))["ward"] == where["ward_code"]
    final = _final(kafka)
    for record_key, view in in_view.items():
        assert {k: v for k, v in final[record_key].items() if k != "id"} == {
            k: v for k, v in view.items() if k != "id"
        }
    for record_key, message in final.items():
        if record_key not in in_view:
            assert message["status"] == "cancelled"  # sent once, then corrected out of view
            assert message["data"] == {}
