"""Throughput and latency of the live pipeline on this machine.

1. ``classify`` (decode + validate) throughput on simulated traffic, in-process.
2. Redis apply throughput (idempotent Lua per event, one pipeline per 500) on a private
   redis-server.
3. The real pipeline — embedded Tansu, redis-server, ``safer worker`` — burst throughput
   (publish N, wait until all are counted) and the latency of single events from publish
   to visible in Redis (p50 / p95 / max).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from rich.console import Console
from rich.progress import track

from cli.stack import embedded
from cli.stack.procs import Component, free_port
from feeds.publish.publisher import RawPublisher
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.settings import Settings, child_env
from schemas.codec import decode_incident
from schemas.topics import Topics
from store.reader import StoreReader
from store.writer import writer_for
from streams.validation import Rejection, classify
from streams.worker import prepare

console = Console()


def bench_classify(n: int) -> None:
    messages = Simulator(load_areas(), seed=1).messages(
        n, datetime.now(UTC), window=timedelta(hours=1)
    )
    start = time.perf_counter()
    valid = sum(not isinstance(classify(m.key, m.value, m.source), Rejection) for m in messages)
    elapsed = time.perf_counter() - start
    console.print(f"classify: {n / elapsed:,.0f} messages/s ({valid:,} valid of {n:,})")


def bench_apply(redis_url: str, n: int) -> None:
    messages = Simulator(load_areas(), seed=2, malformed_share=0.0).messages(n, datetime.now(UTC))
    events = [decode_incident(m.value) for m in messages]

    async def run() -> float:
        client = AsyncRedis.from_url(redis_url)
        settings = Settings(redis_url=redis_url, redis_prefix=f"bench{uuid.uuid4().hex[:6]}:")
        writer = writer_for(client, settings)
        start = time.perf_counter()
        for i in range(0, len(events), 500):
            await writer.apply(events[i : i + 500])
        await client.aclose()
        return time.perf_counter() - start

    elapsed = asyncio.run(run())
    console.print(f"redis apply: {n / elapsed:,.0f} events/s")


def bench_pipeline(settings: Settings, n: int, samples: int, logs: Path) -> None:
    prepare(settings)
    worker = Component(
        "worker",
        [sys.executable, "-m", "cli", "worker"],
        logs / "worker.log",
        child_env(settings),
    )
    worker.start()
    redis = Redis.from_url(settings.require_redis())
    reader = StoreReader.of(redis, settings)
    topics = Topics(settings.topic_prefix)
    try:
        with RawPublisher(settings.require_kafka(), topics) as publisher:
            _latency(publisher, reader, samples, warm_up=True)
            _burst(publisher, reader, n)
            _latency(publisher, reader, samples, warm_up=False)
    finally:
        worker.stop(settings.shutdown_grace_s)
        redis.close()


def _validated(reader: StoreReader) -> int:
    return sum(
        v for k, v in reader.live_snapshot(latest=1).outcomes.items() if k.startswith("validated|")
    )


def _burst(publisher: RawPublisher, reader: StoreReader, n: int) -> None:
    messages = Simulator(load_areas(), seed=3, malformed_share=0.0).messages(n, datetime.now(UTC))
    before = _validated(reader)
    start = time.perf_counter()
    publisher.publish(messages)
    publisher.flush()
    published = time.perf_counter() - start
    while _validated(reader) < before + n:
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    console.print(
        f"pipeline burst: {n:,} events published in {published:.2f} s "
        f"({n / published:,.0f}/s), validated in {elapsed:.2f} s ({n / elapsed:,.0f} events/s)"
    )


def _latency(publisher: RawPublisher, reader: StoreReader, samples: int, warm_up: bool) -> None:
    simulator = Simulator(
        load_areas(), seed=4, malformed_share=0.0, duplicate_share=0.0, correction_share=0.0
    )
    latencies = []
    label = "warm-up (group join)" if warm_up else "latency samples"
    for _ in track(range(1 if warm_up else samples), description=label, console=console):
        message = simulator.messages(1, datetime.now(UTC))[0]
        before = reader.live_snapshot(latest=1).total
        start = time.perf_counter()
        publisher.publish([message])
        publisher.flush()
        while reader.live_snapshot(latest=1).total <= before:
            time.sleep(0.002)
        latencies.append(time.perf_counter() - start)
    if not warm_up:
        ordered = sorted(latencies)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        console.print(
            f"publish -> visible in Redis: p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms ({len(ordered)} events)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events for throughput runs")
    parser.add_argument("--samples", type=int, default=50, help="single events for latency")
    args = parser.parse_args()
    bench_classify(args.events)
    with tempfile.TemporaryDirectory() as tmp, embedded.local_infra(Path(tmp)) as local:
        logs = Path(tmp)
        bench_apply(local.redis_url, args.events)
        settings = Settings(
            kafka_bootstrap=local.bootstrap,
            redis_url=local.redis_url,
            state_dir=logs,
            worker_web_port=free_port(),
            log_level="WARNING",
        )
        bench_pipeline(settings, args.events, args.samples, logs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
