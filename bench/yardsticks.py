"""Yardsticks: reference throughputs that benchmarks of the worker and of ``safer rebuild``
are compared to as ratios (absolute figures drift on a shared machine).

All three read the same preloaded topic of realistic canonical incident JSON:

1. ``bare_faust_agent`` — a faust app (our ``safer-kafka`` transport, 100 ms fetch wait)
   whose one agent only takes batches of 1,000 and counts them: faust's per-event ceiling.
2. ``reference_loop`` — a bare aiokafka consumer (no group) that decodes every event with
   orjson and increments two Redis counters per event, one pipeline per fetched batch:
   what a hand-written consumer doing minimal real work reaches.
3. ``plain_read`` — an aiokafka read that decodes nothing: the broker's ceiling.

``main()`` starts its own Tansu broker and redis-server, preloads once and runs each
yardstick in a fresh child process (so each one's peak RSS is its own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kafka.record.util as kafka_record_util
import orjson
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.producer.future import FutureRecordMetadata
from redis.asyncio import Redis as AsyncRedis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.stack import embedded
from cli.stack.procs import Component
from feeds.simulator.generator import Simulator
from geography.areas import load_areas

console = Console()
SCRIPT = Path(__file__).resolve()
FETCH_MAX_WAIT_MS = 100
PARTITION_FETCH_BYTES = 32 * 1024 * 1024
FETCH_BYTES = 256 * 1024 * 1024
MAX_RECORDS: int | None = None
"""Records per getmany (None: all fetched)."""
STALL_S = 30.0
"""A reader that sees no new event for this long gives up (the topic holds fewer than n)."""
CHUNK = 10_000
"""Messages simulated and sent per round while preloading."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One yardstick run: ``events`` counted in ``elapsed_s`` (timing excludes start-up)."""

    name: str
    events: int
    elapsed_s: float
    peak_rss_bytes: int | None = None

    @property
    def rate(self) -> float:
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


# --- 1. preload ---------------------------------------------------------------------------


def preload(bootstrap: str, topic: str, n: int, partitions: int) -> None:
    """Create ``topic`` with ``partitions`` and fill it with ``n`` simulated canonical events.

    The simulator (~10k messages/s per core) runs in worker processes, one seed per chunk,
    while this process produces (kafka-python, no idempotence, large linger batches).
    """
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="yardsticks-admin")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()
    producer = fast_producer(bootstrap, "yardsticks-preload")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    chunks = [min(CHUNK, n - done) for done in range(0, n, CHUNK)]
    futures: list[FutureRecordMetadata] = []
    start = time.perf_counter()
    try:
        with (
            ProcessPoolExecutor(os.cpu_count() or 1) as pool,
            Progress(*columns, console=console) as progress,
        ):
            task = progress.add_task(f"preload {topic}", total=n)
            seeds = range(1_000, 1_000 + len(chunks))
            for batch in pool.map(_simulate, seeds, chunks):
                futures += [producer.send(topic, key=key, value=value) for key, value in batch]
                progress.advance(task, len(batch))
            producer.flush()
    finally:
        producer.close()
    failed = [f for f in futures if not f.succeeded()]
    if failed:
        raise RuntimeError(f"preload: {len(failed)} sends failed: {failed[0].exception}")
    elapsed = time.perf_counter() - start
    console.print(f"preloaded {n:,} events in {elapsed:.1f} s ({n / elapsed:,.0f}/s, simulated)")


def fast_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """A kafka-python producer tuned for bulk preloads (large batches, acks=1, C checksums)."""
    _fast_crc32c()
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks=1,
        enable_idempotence=False,
        linger_ms=50,
        batch_size=1024 * 1024,
        max_request_size=16 * 1024 * 1024,
    )


def _simulate(seed: int, count: int) -> list[tuple[bytes | None, bytes]]:
    """In a pool worker: ``count`` canonical events (key, JSON) from a simulator of ``seed``."""
    simulator = Simulator(load_areas(), seed=seed, malformed_share=0.0)
    return [(m.key, m.value) for m in simulator.messages(count, datetime.now(UTC))]


def _fast_crc32c() -> None:
    """kafka-python checksums record batches with a pure-Python CRC-32C unless the optional
    ``crc32c`` package is installed, which caps a producer near 7,500 messages/s here. Use
    aiokafka's compiled one instead (same function, this process only)."""
    import kafka.record.default_records as records
    from aiokafka.record.util import calc_crc32c

    if kafka_record_util.crc32c_c is None:
        records.calc_crc32c = calc_crc32c


# --- 2. bare faust agent ------------------------------------------------------------------


def bare_faust_agent(bootstrap: str, topic: str, n: int) -> float:
    """Events/s of a faust agent that only takes batches (run in a child process)."""
    return measure_faust_agent(bootstrap, topic, n).rate


def measure_faust_agent(bootstrap: str, topic: str, n: int, tuned_gc: bool = False) -> Measurement:
    """The bare agent in a child; ``tuned_gc`` applies the worker's garbage-collector tuning
    (``safer.runtime.tune_gc``) to it too, for a like-for-like floor."""
    with tempfile.TemporaryDirectory(prefix="yardstick-faust-") as tmp:
        argv = [
            "_faust-agent",
            "--bootstrap",
            bootstrap,
            "--topic",
            topic,
            "--events",
            str(n),
            "--datadir",
            str(Path(tmp) / "data"),
            *(["--tuned-gc"] if tuned_gc else []),
        ]
        name = "bare faust agent" + (" (worker's GC tuning)" if tuned_gc else "")
        return _run_child(name, argv, Path(tmp), timeout_s=90 + n / 1_000)


def _faust_agent_child(
    bootstrap: str, topic: str, n: int, datadir: Path, result: Path, tuned_gc: bool
) -> None:
    """In the child: run the faust worker until killed; write the result once n are counted."""
    import faust
    from faust.worker import Worker

    from streams import transport  # registers the safer-kafka scheme

    app = faust.App(
        f"yardstick-{uuid.uuid4().hex[:10]}",
        broker=f"{transport.SCHEME}://{bootstrap}",
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=10,
        broker_heartbeat_interval=2,
        topic_replication_factor=1,
    )
    app.conf.safer_fetch_max_wait_ms = FETCH_MAX_WAIT_MS
    source = app.topic(topic)

    @app.agent(source)
    async def count(stream: Any) -> None:
        first_at: float | None = None
        first_len = 0
        counted = 0
        reported = False
        async for batch in stream.take(1000, within=0.5):
            now = time.perf_counter()
            counted += len(batch)
            if first_at is None:
                # The clock starts when the first batch arrives (after the group join);
                # that batch's events were gathered before, so they are not counted.
                first_at, first_len = now, len(batch)
            if counted >= n and not reported:
                reported = True
                _write_result(result, counted - first_len, now - first_at)

    worker = Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False)
    if tuned_gc:
        from safer.runtime import tune_gc

        tune_gc()
    worker.execute_from_commandline()


# --- 3. reference loop and 4. plain read --------------------------------------------------


def reference_loop(bootstrap: str, redis_url: str, topic: str, n: int) -> float:
    """Events/s of aiokafka + orjson + two Redis HINCRBY per event (one pipeline per batch)."""
    events, elapsed = asyncio.run(_read(bootstrap, topic, n, redis_url))
    return events / elapsed


def plain_read(bootstrap: str, topic: str, n: int) -> float:
    """Messages/s of a plain aiokafka read that decodes nothing: the broker's ceiling."""
    events, elapsed = asyncio.run(_read(bootstrap, topic, n, None))
    return events / elapsed


async def _read(bootstrap: str, topic: str, n: int, redis_url: str | None) -> tuple[int, float]:
    """Read ``n`` messages from the beginning of every partition, timed from the first batch.

    With ``redis_url`` each event is decoded and counted per ward and per category.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        max_partition_fetch_bytes=PARTITION_FETCH_BYTES,
        fetch_max_bytes=FETCH_BYTES,
    )
    redis = AsyncRedis.from_url(redis_url) if redis_url else None
    run = uuid.uuid4().hex[:8]
    wards, categories = f"yardstick:{run}:ward", f"yardstick:{run}:category"
    await consumer.start()
    try:
        await consumer.topics()  # loads metadata for every topic
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            raise RuntimeError(f"topic {topic} not found")
        partitions = [TopicPartition(topic, p) for p in sorted(numbers)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        counted = 0
        first_at: float | None = None
        last_progress = time.monotonic()
        while counted < n:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=MAX_RECORDS)
            if not fetched:
                if time.monotonic() - last_progress > STALL_S:
                    raise RuntimeError(f"stalled at {counted:,} of {n:,} messages")
                continue
            if first_at is None:
                first_at = time.perf_counter()
            last_progress = time.monotonic()
            if redis is None:
                counted += sum(len(records) for records in fetched.values())
                continue
            pipe = redis.pipeline(transaction=False)
            for records in fetched.values():
                for record in records:
                    data = orjson.loads(record.value)["data"]
                    pipe.hincrby(wards, data["location"]["ward_code"], 1)
                    pipe.hincrby(categories, data["category"], 1)
                counted += len(records)
            await pipe.execute()
        elapsed = time.perf_counter() - (first_at or time.perf_counter())
        if redis is not None:
            total = sum(int(v) for v in (await redis.hgetall(categories)).values())
            if total != counted:
                raise RuntimeError(f"Redis counted {total:,} events, the loop read {counted:,}")
            await redis.delete(wards, categories)
        return counted, elapsed
    finally:
        await consumer.stop()
        if redis is not None:
            await redis.aclose()


def measure_reference_loop(bootstrap: str, redis_url: str, topic: str, n: int) -> Measurement:
    """``reference_loop`` in a fresh child process (its own peak RSS)."""
    argv = [
        "_measure",
        "reference",
        "--bootstrap",
        bootstrap,
        "--topic",
        topic,
        "--events",
        str(n),
        "--redis-url",
        redis_url,
    ]
    with tempfile.TemporaryDirectory(prefix="yardstick-ref-") as tmp:
        return _run_child("reference loop", argv, Path(tmp), timeout_s=60 + n / 1_000)


def measure_plain_read(bootstrap: str, topic: str, n: int) -> Measurement:
    """``plain_read`` in a fresh child process (its own peak RSS)."""
    argv = ["_measure", "plain", "--bootstrap", bootstrap, "--topic", topic, "--events", str(n)]
    with tempfile.TemporaryDirectory(prefix="yardstick-plain-") as tmp:
        return _run_child("plain aiokafka read", argv, Path(tmp), timeout_s=60 + n / 1_000)


# --- children -----------------------------------------------------------------------------


def _peak_rss_self() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _write_result(path: Path, events: int, elapsed_s: float) -> None:
    """Atomically: the parent polls for ``path``."""
    payload = {"events": events, "elapsed_s": elapsed_s, "peak_rss_bytes": _peak_rss_self()}
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(payload))
    partial.replace(path)


def _run_child(name: str, argv: Sequence[str], tmp: Path, timeout_s: float) -> Measurement:
    """Run this script's hidden subcommand ``argv`` until it writes its result, then stop it
    (SIGTERM to its process group, SIGKILL after a grace period) whatever happened."""
    result = tmp / "result.json"
    log = tmp / "child.log"
    child = Component(
        name, [sys.executable, str(SCRIPT), *argv, "--result", str(result)], log, dict(os.environ)
    )
    sampled = 0
    child.start()
    try:
        assert child.pid is not None
        proc = psutil.Process(child.pid)
        deadline = time.monotonic() + timeout_s
        while not result.exists():
            if not child.alive():
                raise RuntimeError(f"{name} exited ({child.exit_code()}): {_tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} gave no result in {timeout_s:.0f} s: {_tail(log)}")
            with contextlib.suppress(psutil.Error):
                sampled = max(sampled, proc.memory_info().rss)
            time.sleep(0.1)
    finally:
        child.stop(5)
    payload = json.loads(result.read_text())
    peak = max(int(payload["peak_rss_bytes"]), sampled)
    return Measurement(name, int(payload["events"]), float(payload["elapsed_s"]), peak)


def _tail(log: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _child_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="yardsticks.py (internal)")
    parser.add_argument("command", choices=["_faust-agent", "_measure"])
    parser.add_argument("kind", nargs="?", choices=["reference", "plain"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--redis-url")
    parser.add_argument("--datadir", type=Path)
    parser.add_argument("--tuned-gc", action="store_true")
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "_faust-agent":
        datadir = args.datadir or args.result.parent / "data"
        _faust_agent_child(
            args.bootstrap, args.topic, args.events, datadir, args.result, args.tuned_gc
        )
        return 0
    if args.kind == "reference":
        if not args.redis_url:
            parser.error("reference needs --redis-url")
        events, elapsed = asyncio.run(
            _read(args.bootstrap, args.topic, args.events, args.redis_url)
        )
    else:
        events, elapsed = asyncio.run(_read(args.bootstrap, args.topic, args.events, None))
    _write_result(args.result, events, elapsed)
    return 0


# --- CLI ----------------------------------------------------------------------------------


def _table(measurements: Sequence[Measurement]) -> Table:
    baseline = measurements[0].rate
    table = Table(title="yardsticks (ratios are to the bare faust agent)")
    for column in ("yardstick", "events", "seconds", "events/s", "ratio", "peak RSS"):
        table.add_column(column, justify="left" if column == "yardstick" else "right")
    for m in measurements:
        rss = f"{m.peak_rss_bytes / 2**20:,.0f} MiB" if m.peak_rss_bytes else "-"
        table.add_row(
            m.name,
            f"{m.events:,}",
            f"{m.elapsed_s:.2f}",
            f"{m.rate:,.0f}",
            f"{m.rate / baseline:.2f}x",
            rss,
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("_"):
        return _child_main(argv)
    parser = argparse.ArgumentParser(
        description="Yardstick throughputs (bare faust agent, reference aiokafka+Redis loop, "
        "plain aiokafka read) on an embedded Tansu broker and a private redis-server."
    )
    parser.add_argument("--events", type=int, default=200_000, help="events preloaded and read")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of the topic")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="yardsticks-") as tmp,
        embedded.local_infra(Path(tmp)) as local,
    ):
        topic = f"yardsticks.{uuid.uuid4().hex[:8]}"
        preload(local.bootstrap, topic, args.events, args.partitions)
        measurements: list[Measurement] = []
        with console.status("bare faust agent (group join first, ~5 s)"):
            measurements.append(measure_faust_agent(local.bootstrap, topic, args.events))
        with console.status("reference loop (aiokafka + orjson + Redis)"):
            measurements.append(
                measure_reference_loop(local.bootstrap, local.redis_url, topic, args.events)
            )
        with console.status("plain aiokafka read"):
            measurements.append(measure_plain_read(local.bootstrap, topic, args.events))
    console.print(_table(measurements))
    console.print(
        f"{args.events:,} events, {args.partitions} partitions, fetch wait {FETCH_MAX_WAIT_MS} ms; "
        "faust is timed from its first batch (that batch not counted), the readers from "
        "their first fetch."
    )
    if args.json:
        print(json.dumps([{**asdict(m), "rate": m.rate} for m in measurements]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
