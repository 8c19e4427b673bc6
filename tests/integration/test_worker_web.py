"""streams.web on a real faust worker and broker: /metrics, /ready, /live and consumer lag."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from cli.stack.procs import Component
from safer.settings import Settings
from tests.integration.worker import wait_for

WEB_APP = Path(__file__).with_name("web_app.py")


def _get(port: int, path: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET on the worker's web server."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def _json(port: int, path: str) -> tuple[int, object]:
    """(status, decoded JSON body) of a GET answered in application/json."""
    status, content_type, body = _get(port, path)
    assert content_type.startswith("application/json")
    return status, json.loads(body)


def _answers(port: int, path: str) -> bool:
    try:
        return _get(port, path)[0] == 200
    except OSError:
        return False


def _create_topic(settings: Settings, name: str, partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, client_id="test-admin")
    try:
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()


def _produce_to_each_partition(settings: Settings, topic: str, partitions: int) -> None:
    """Three messages on every partition, so each one's lag depends on its committed offset."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for partition in range(partitions):
        for i in range(3):
            producer.send(topic, key=f"k{i}".encode(), value=b"event", partition=partition)
    producer.flush()
    producer.close()


def _web_app(settings: Settings, topic: str, tmp_path: Path) -> Component:
    argv = [
        sys.executable,
        str(WEB_APP),
        f"--bootstrap={settings.kafka_bootstrap}",
        f"--topic={topic}",
        f"--group={settings.consumer_group}",
        f"--port={settings.worker_web_port}",
        f"--datadir={tmp_path / 'faust-data'}",
        f"--session-timeout={settings.session_timeout_s}",
    ]
    return Component("web-app", argv, tmp_path / "web-app.log")


def test_metrics_ready_live_and_lag_on_a_real_worker(settings: Settings, tmp_path: Path) -> None:
    """/live is 200 at once, /ready 503 until the worker sets ready, /metrics shows lag 0."""
    topic = f"{settings.topic_prefix}web"
    _create_topic(settings, topic, partitions=2)
    port = settings.worker_web_port
    app = _web_app(settings, topic, tmp_path)
    app.start()
    try:
        wait_for(lambda: _answers(port, "/live"), 60, "/live", app.log_path)
        assert _json(port, "/ready") == (503, {"ready": False})
        status, content_type, text = _get(port, "/metrics")
        assert status == 200
        assert content_type.startswith("text/plain")
        assert "safer_ready 0.0" in text

        _produce_to_each_partition(settings, topic, partitions=2)
        wait_for(lambda: _answers(port, "/ready"), 60, "/ready 200", app.log_path)
        assert _json(port, "/ready") == (200, {"ready": True})
        assert _json(port, "/live") == (200, {"live": True})
        lag_zero = [
            f'safer_consumer_lag_messages{{partition="{p}",topic="{topic}"}} 0.0' for p in (0, 1)
        ]
        wait_for(
            lambda: all(line in _get(port, "/metrics")[2] for line in lag_zero),
            30,
            "consumer lag 0 on both partitions",
            app.log_path,
        )
        text = _get(port, "/metrics")[2]
        assert "safer_ready 1.0" in text
        assert app.alive()
    finally:
        app.stop(settings.shutdown_grace_s)
