"""The embedded stack's crash loss window: how long a record acknowledged by the broker
waits before the archiver has it on disk (``bus.archive``).

Starts a Tansu broker and ``safer archive run`` (a child process, as ``safer up`` runs it),
publishes single records at a steady rate with ``acks=all`` and, for each, measures the time
from the broker's acknowledgement to the archive's ``positions.json`` holding it (the
archiver writes that file only after the records are fsync'd). A crash of the whole machine
loses what was acknowledged within that lag: p50/p99/max are the window.

    .venv/bin/python bench/archive_lag.py --rate 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from rich.console import Console

from bus.archive.catalog import Catalog, tp_name
from cli.stack import embedded
from cli.stack.procs import Component, free_port
from safer.settings import Settings, child_env

TOPIC = "safer.raw.police"


def _watch(
    catalog: Catalog, acked: dict[int, float], lags: list[float], stop: threading.Event
) -> None:
    seen = 0
    while not stop.is_set() or seen < len(acked):
        end = catalog.positions().get(tp_name(TOPIC, 0), 0)
        now = time.perf_counter()
        while seen < end:
            if seen in acked:
                lags.append(now - acked[seen])
            seen += 1
        if stop.is_set() and time.perf_counter() - now > 5:
            return
        time.sleep(0.002)


async def _publish(bootstrap: str, rate: float, seconds: float, acked: dict[int, float]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        started = time.perf_counter()
        n = 0
        while time.perf_counter() - started < seconds:
            delivered = await producer.send_and_wait(TOPIC, b"x" * 800, partition=0)
            acked[delivered.offset] = time.perf_counter()
            n += 1
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
    finally:
        await producer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="records per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to publish")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        broker = embedded.broker(free_port(), root)
        broker.component.start()
        try:
            embedded.wait_broker_ready(broker.bootstrap)
            admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
            admin.create_topics([NewTopic(TOPIC, 1, 1)])
            admin.close()
            settings = Settings(kafka_bootstrap=broker.bootstrap, state_dir=root / "state")
            archiver = Component(
                "archiver",
                [sys.executable, "-m", "cli", "archive", "run"],
                root / "archiver.log",
                child_env(settings),
            )
            archiver.start()
            catalog = Catalog(settings.archive_dir)
            time.sleep(3)  # the archiver discovers the topic
            acked: dict[int, float] = {}
            lags: list[float] = []
            stop = threading.Event()
            watcher = threading.Thread(target=_watch, args=(catalog, acked, lags, stop))
            watcher.start()
            asyncio.run(_publish(broker.bootstrap, args.rate, args.seconds, acked))
            stop.set()
            watcher.join(30)
            archiver.stop(10)
        finally:
            broker.component.stop(5)
    if not lags:
        console.print("[red]nothing archived[/red]")
        return 1
    lags.sort()
    p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))]
    console.print(
        f"{len(lags):,} records at {args.rate:g}/s: acknowledged -> archived (fsync'd) "
        f"p50 {statistics.median(lags) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {lags[-1] * 1000:.0f} ms — the most a crash of the whole machine loses"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
