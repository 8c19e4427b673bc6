"""Webhooks from the real gateway to a local receiver that verifies every signature with the
Standard Webhooks reference package: each shared record arrives signed, a failed attempt is
retried with the same webhook-id, and 410 Gone disables the endpoint and records the
message as undeliverable with its reason."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from redis import Redis
from standardwebhooks import Webhook

from safer.settings import Settings
from schemas.categories import Source
from schemas.topics import Topics
from sharing.registry import Subscribers
from store.keys import Keys
from tests.builders import encode, key_of, make_fire_incident
from tests.integration.gateway import running_gateway
from tests.integration.worker import produce, running_worker, wait_for

AGREEMENT = """subscriber = "fire-prevention"
sources = ["fire"]
level = "records"
precision = "ward"
fields = ["category", "cause"]
"""


@dataclass
class Receiver:
    secret: str = ""
    answers: list[int] = field(default_factory=list)
    """Statuses to answer, in order; then 204."""
    attempts: list[tuple[str, bool]] = field(default_factory=list)
    """(webhook-id, signature verified) of every request."""
    delivered: dict[str, dict[str, object]] = field(default_factory=dict)
    url: str = ""


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(body, headers)
                verified = True
            except Exception:  # noqa: BLE001 - any failure is "not verified"
                verified = False
            receiver.attempts.append((headers.get("webhook-id", ""), verified))
            status = receiver.answers.pop(0) if receiver.answers else 204
            if verified and status == 204:
                receiver.delivered[headers["webhook-id"]] = json.loads(body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()


def test_signed_deliveries_retries_and_a_gone_endpoint(
    settings: Settings, tmp_path: Path, redis_client: Redis
) -> None:
    settings = settings.model_copy(update={"webhook_retry_s": [0.5, 0.5]})
    agreement = tmp_path / "fire-prevention.toml"
    agreement.write_text(AGREEMENT)
    registry = Subscribers(settings.subscribers_path, settings.agreements_path)
    registry.add("fire-prevention", agreement)
    fires = [make_fire_incident() for _ in range(3)]
    topic = Topics(settings.topic_prefix).raw(Source.FIRE).name
    with receiving() as receiver:
        secret = registry.set_webhook("fire-prevention", receiver.url)
        assert secret is not None
        assert secret.startswith("whsec_")
        receiver.secret = secret
        receiver.answers = [500]  # the first attempt fails: retried
        with running_worker(settings, tmp_path), running_gateway(settings, tmp_path) as base:
            produce(settings, topic, [(key_of(f), encode(f)) for f in fires])
            wait_for(lambda: len(receiver.delivered) == 3, 60, "three signed deliveries")
            assert all(verified for _, verified in receiver.attempts)
            ids = [i for i, _ in receiver.attempts]
            assert ids[0] == ids[1]  # the retry carries the same webhook-id
            assert len(ids) == 4
            assert {m["record_key"] for m in receiver.delivered.values()} == {
                f["record_key"] for f in fires
            }
            assert all(
                set(m["data"]) == {"category", "cause", "location"}
                for m in receiver.delivered.values()
            )

            receiver.answers = [410]
            gone = make_fire_incident()
            produce(settings, topic, [(key_of(gone), encode(gone))])
            failed_key = Keys(settings.redis_prefix).webhook_failed("fire-prevention")
            wait_for(lambda: redis_client.xlen(failed_key) == 1, 60, "the undeliverable record")
            ((_, entry),) = redis_client.xrange(failed_key)
            assert entry[b"reason"] == b"HTTP 410"
            sub = registry.load()["fire-prevention"]
            assert sub.webhook_disabled is not None
            assert sub.webhook_disabled.startswith("410 Gone")
            after = make_fire_incident()
            produce(settings, topic, [(key_of(after), encode(after))])
            attempts = len(receiver.attempts)
            time.sleep(3)
            assert len(receiver.attempts) == attempts  # disabled: nothing more is sent

            def metric(name: str) -> float:
                text = httpx.get(f"{base}/metrics", timeout=10).text
                line = f'safer_subscriber_{name}{{subscriber="fire-prevention"}} '
                found = [x for x in text.splitlines() if x.startswith(line)]
                return float(found[0].removeprefix(line)) if found else -1.0

            wait_for(lambda: metric("feed_lag") == 0, 30, "the feed caught up")
            assert metric("topic_end") in (4, 5)  # 3 fires, the gone one, the one after (the
            # embedded broker's end offset is a lower bound)
            assert metric("undeliverable") == 1
            assert metric("streams") == 0
            assert metric("webhook_lag") == -1  # disabled: no longer reported
