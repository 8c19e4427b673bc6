"""A minimal faust worker exposing ``streams.web``'s endpoints, for the web integration test.

Run as a script (``python tests/integration/web_app.py --bootstrap ... --topic ...``). Its one
agent marks the worker ready when it handles its first event, so a test can observe
``/ready`` answering 503 first and 200 afterwards.
"""

from __future__ import annotations

import argparse
from typing import Any

import faust
from faust.worker import Worker
from prometheus_client import CollectorRegistry

from streams import transport
from streams.metrics import WorkerMetrics
from streams.web import register_lag_timer, register_web

LAG_INTERVAL_S = 1.0


def build_app(args: argparse.Namespace) -> faust.App:
    """A faust App on the safer transport with the web endpoints and the lag timer."""
    app = faust.App(
        args.group,
        broker=f"{transport.SCHEME}://{args.bootstrap}",
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        datadir=args.datadir,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=args.session_timeout,
        broker_heartbeat_interval=args.session_timeout / 5,
        broker_rebalance_timeout=args.session_timeout * 2,
        broker_commit_interval=0.5,
        web_enabled=True,
        web_port=args.port,
        web_bind="127.0.0.1",
    )
    app.conf.safer_fetch_max_wait_ms = 100
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry)
    register_web(app, metrics, registry)
    register_lag_timer(app, metrics, interval_s=LAG_INTERVAL_S)

    async def handle(stream: Any) -> None:
        async for event in stream.events():
            metrics.events("web_test", "police", "counted")
            metrics.set_ready(True)
            # like every job on this transport: commits follow what was marked processed
            transport.mark_processed(stream.app.consumer, [event.message])

    app.agent(app.topic(args.topic), name="web_test")(handle)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--datadir", required=True)
    parser.add_argument("--session-timeout", type=float, default=6.0)
    app = build_app(parser.parse_args())
    worker = Worker(app, loglevel="INFO", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
