"""Ingest through the gateway on the real broker, Redis and worker: a valid record is on the
broker when 202 comes back and reaches the canonical topic; a retried Idempotency-Key is
published once; a bad record is refused with the dead-letter reason and dead-lettered by
the worker with its original bytes; keys without the right, missing headers and huge bodies
are refused with JSON errors."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import httpx

from safer.settings import Settings
from schemas.topics import Topics
from sharing.registry import Subscribers
from tests.builders import encode, make_council_asb
from tests.integration.gateway import running_gateway
from tests.integration.worker import read_records, read_topic, running_worker

WARDENS = """subscriber = "wardens"
sources = ["council"]
level = "records"
precision = "ward"
publish = ["council"]
"""
READER = """subscriber = "reader"
sources = ["council"]
level = "records"
precision = "none"
"""


def _key(settings: Settings, tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    _, key = Subscribers(settings.subscribers_path, settings.agreements_path).add(name, path)
    assert key is not None
    return key


def test_ingest_publishes_once_and_refuses_bad_records_with_their_reason(
    settings: Settings, tmp_path: Path
) -> None:
    wardens = _key(settings, tmp_path, "wardens", WARDENS)
    reader = _key(settings, tmp_path, "reader", READER)
    topics = Topics(settings.topic_prefix)
    good = make_council_asb()
    with running_worker(settings, tmp_path), running_gateway(settings, tmp_path) as base:
        url = f"{base}/v1/events/council"
        auth = {"Authorization": f"Bearer {wardens}"}
        once = {**auth, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
        first = httpx.post(url, content=encode(good), headers=once)
        assert first.status_code == 202, first.text
        body = first.json()
        assert body["status"] == "accepted"
        assert body["record_key"] == good["record_key"]
        assert body["topic"] == topics.raw_all[1].name
        raw = read_records(settings, body["topic"], 1)
        assert [(r.offset, r.key) for r in raw] == [(body["offset"], good["record_key"].encode())]

        again = httpx.post(url, content=encode(good), headers=once)  # a retry
        assert again.status_code == 202
        assert again.json() == body
        assert again.headers["Idempotent-Replayed"] == "true"
        other = httpx.post(url, content=encode(make_council_asb()), headers=once)
        assert other.status_code == 422
        assert "another request body" in other.json()["error"]

        canonical = read_topic(settings, topics.incidents.name, 1)
        assert [json.loads(v)["record_key"] for v in canonical] == [good["record_key"]]

        personal = make_council_asb()
        personal["data"]["location"]["place"] = "call 07700 900123"  # type: ignore[index]
        bad_headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
        refused = httpx.post(url, content=encode(personal), headers=bad_headers)
        assert refused.status_code == 422
        assert refused.json()["reason"] == "personal-data"
        assert refused.json()["dead_lettered"] is True
        letters = read_topic(settings, topics.deadletter.name, 1)
        assert len(letters) == 1
        letter = json.loads(letters[0])
        assert letter["reason"] == "personal-data"
        assert base64.b64decode(letter["value_b64"]) == encode(personal)

        assert httpx.post(url, content=encode(good), headers=auth).status_code == 400
        not_allowed = {"Authorization": f"Bearer {reader}", "Idempotency-Key": "k1"}
        forbidden = httpx.post(url, content=encode(good), headers=not_allowed)
        assert forbidden.status_code == 403
        assert forbidden.json() == {"error": "this key may not publish council records"}
        huge = httpx.post(url, content=b"{" + b" " * 70_000 + b"}", headers=once)
        assert huge.status_code == 413
        assert "error" in huge.json()
        wrong_source = httpx.post(f"{base}/v1/events/nowhere", content=b"{}", headers=once)
        assert wrong_source.status_code == 422
        assert "error" in wrong_source.json()
