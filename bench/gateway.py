"""The subscriber gateway under load (issue 18): Server-Sent Events fan-out and ingest.

A real embedded broker and redis-server, the real ``safer gateway`` process on loopback,
and clients in processes of their own (so the client side does not share the gateway's
event loop):

- **SSE fan-out**: ``--clients`` (100) concurrent streams of one subscriber's topic while
  messages are produced into that topic at ``--rate`` (50) a second for ``--seconds``; each
  message carries its produce time, and a client's latency is receive time minus produce
  time — what the gateway adds from the filtered topic to the client, broker included.
  Yardstick, same run: a plain aiokafka consumer of the same topic (same machine, its own
  fetch wait of 20 ms like the gateway's tail). Target: p99 ≤ 100 ms.
- **Ingest**: ``--ingest-connections`` (16) clients POST valid council events with fresh
  Idempotency-Keys as fast as they are answered, for ``--ingest-seconds``; requests a second
  and latency. Yardstick, same run: the same number of concurrent ``send_and_wait`` calls
  of an aiokafka producer straight to the broker (what a 202 waits for at least). Targets:
  ≥ 500 requests a second, p99 ≤ 100 ms.
- **RSS** of the gateway process after each phase.

    .venv/bin/python bench/gateway.py --clients 100 --rate 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bus.admin import ensure_topics, recreate_topic
from cli.stack import embedded
from cli.stack.procs import Component, free_port
from safer.settings import Settings, child_env
from schemas.topics import Topics
from sharing.registry import Subscribers

AGREEMENT = """subscriber = "bench"
sources = ["council", "fire"]
level = "records"
precision = "ward"
fields = ["category", "occurred"]
publish = ["council"]
"""
console = Console()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _summary(values: list[float]) -> str:
    return (
        f"p50 {_pct(values, 0.5) * 1000:.1f} ms, p99 {_pct(values, 0.99) * 1000:.1f} ms, "
        f"max {max(values) * 1000:.1f} ms (n={len(values):,})"
    )


def _message(i: int) -> bytes:
    now = datetime.now(UTC)
    record = {
        "id": f"bench{i:012d}",
        "type": "fire.incident",
        "source": "fire",
        "time": now.isoformat(),
        "record_key": f"fire:bench:{i}",
        "version": 1,
        "status": "active",
        "agreement": "0" * 12,
        "data": {"category": "secondary-fire", "location": {"ward_code": "E05000956"}},
        "sent": time.time(),
    }
    return json.dumps(record).encode()


# --- SSE -----------------------------------------------------------------------------


def _sse_clients(base: str, key: str, n: int, until: float, out: Any) -> None:
    """A process holding ``n`` streams; puts its latencies (s) on ``out``."""

    async def one(client: httpx.AsyncClient, latencies: list[float]) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        params = {"from": "end"}
        async with client.stream("GET", f"{base}/v1/stream", headers=headers, params=params) as r:
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    sent = json.loads(line[6:]).get("sent")
                    if sent is not None:
                        latencies.append(time.time() - sent)
                if time.time() > until:
                    return

    async def main() -> list[float]:
        latencies: list[float] = []
        limits = httpx.Limits(max_connections=n + 4)
        timeout = httpx.Timeout(None, connect=10)  # a stream waits for ever between messages
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
            tasks = [asyncio.ensure_future(one(client, latencies)) for _ in range(n)]
            await asyncio.wait(tasks, timeout=until - time.time() + 5)
            for t in tasks:
                t.cancel()
        return latencies

    out.put(asyncio.run(main()))


async def _produce(bootstrap: str, topic: str, rate: float, seconds: float, start: int) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        i, t0 = start, time.monotonic()
        while time.monotonic() - t0 < seconds:
            await producer.send_and_wait(topic, _message(i), key=f"fire:bench:{i}".encode())
            i += 1
            next_at = t0 + (i - start) / rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        return i - start
    finally:
        await producer.stop()


async def _direct(bootstrap: str, topic: str, seconds: float, rate: float) -> list[float]:
    """Yardstick: a plain consumer of the topic while messages are produced."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=20)
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    await consumer.seek_to_end(tp)
    latencies: list[float] = []

    async def read() -> None:
        while True:
            batch = await consumer.getmany(tp, timeout_ms=500)
            now = time.time()
            for r in batch.get(tp, []):
                latencies.append(now - json.loads(r.value)["sent"])

    reader = asyncio.ensure_future(read())
    await asyncio.sleep(1.0)
    await _produce(bootstrap, topic, rate, seconds, 10_000_000)
    await asyncio.sleep(1.0)
    reader.cancel()
    await consumer.stop()
    return latencies


def sse_phase(args: argparse.Namespace, base: str, key: str, settings: Settings, pid: int) -> None:
    topic = Topics(settings.topic_prefix).subscriber("bench").name
    bootstrap = settings.require_kafka()
    what = f"{args.clients} clients, {args.rate:g} messages/s, {args.seconds:g} s"
    console.print(f"[bold]SSE fan-out[/bold]: {what}")
    direct = asyncio.run(_direct(bootstrap, topic, min(args.seconds, 15), args.rate))
    console.print(f"  yardstick, a plain consumer of the topic: {_summary(direct)}")
    out: Any = multiprocessing.Queue()
    until = time.time() + args.seconds + 8
    per = [args.clients // 2, args.clients - args.clients // 2]
    procs = [
        multiprocessing.Process(target=_sse_clients, args=(base, key, n, until, out))
        for n in per
        if n
    ]
    for p in procs:
        p.start()
    time.sleep(5)  # every stream connected and at the end
    sent = asyncio.run(_produce(bootstrap, topic, args.rate, args.seconds, 0))
    latencies: list[float] = []
    for _ in procs:
        latencies += out.get()
    for p in procs:
        p.join(30)
    expected = sent * args.clients
    console.print(
        f"  sent {sent:,} messages; {len(latencies):,} deliveries of {expected:,} expected"
    )
    console.print(f"  gateway to {args.clients} clients: {_summary(latencies)}")
    ratio = _pct(latencies, 0.99) / _pct(direct, 0.99)
    verdict = "met" if _pct(latencies, 0.99) <= 0.100 else "NOT met"
    console.print(f"  p99 {ratio:.2f}× the plain consumer's; target p99 ≤ 100 ms: {verdict}")
    console.print(f"  gateway RSS {psutil.Process(pid).memory_info().rss / 2**20:.0f} MiB")


# --- ingest --------------------------------------------------------------------------


def _event(i: int) -> bytes:
    now = datetime.now(UTC).isoformat()
    return json.dumps(
        {
            "id": f"ingest-{uuid.uuid4().hex}",
            "type": "council.asb",
            "source": "council",
            "partner": "wirral-council",
            "time": now,
            "record_key": f"council:bench:{uuid.uuid4().hex[:20]}",
            "version": 1,
            "data": {
                "category": "asb-nuisance",
                "asb_type": "scrambler-bikes",
                "occurred": {"start": now},
                "received_at": now,
                "location": {"lsoa_code": "E01007126"},
            },
        }
    ).encode()


def _ingest_clients(base: str, key: str, n: int, seconds: float, out: Any) -> None:
    async def one(
        client: httpx.AsyncClient, until: float, lat: list[float], bad: list[int]
    ) -> None:
        url = f"{base}/v1/events/council"
        i = 0
        while time.monotonic() < until:
            body = _event(i)
            headers = {
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": uuid.uuid4().hex,
                "Content-Type": "application/json",
            }
            t0 = time.perf_counter()
            r = await client.post(url, content=body, headers=headers)
            lat.append(time.perf_counter() - t0)
            if r.status_code != 202:
                bad.append(r.status_code)
            i += 1

    async def main() -> tuple[list[float], list[int]]:
        lat: list[float] = []
        bad: list[int] = []
        until = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=n)) as c:
            await asyncio.gather(*(one(c, until, lat, bad) for _ in range(n)))
        return lat, bad

    out.put(asyncio.run(main()))


async def _produce_concurrently(bootstrap: str, topic: str, n: int, seconds: float) -> list[float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await producer.start()
    lat: list[float] = []
    until = time.monotonic() + seconds

    async def one() -> None:
        while time.monotonic() < until:
            t0 = time.perf_counter()
            await producer.send_and_wait(topic, _event(0), key=uuid.uuid4().hex.encode())
            lat.append(time.perf_counter() - t0)

    await asyncio.gather(*(one() for _ in range(n)))
    await producer.stop()
    return lat


def ingest_phase(
    args: argparse.Namespace, base: str, key: str, settings: Settings, pid: int
) -> None:
    n, seconds = args.ingest_connections, args.ingest_seconds
    console.print(f"[bold]Ingest[/bold]: {n} connections for {seconds:g} s")
    topic = Topics(settings.topic_prefix).raw_all[1].name
    direct = asyncio.run(
        _produce_concurrently(settings.require_kafka(), topic, n, min(seconds, 10))
    )
    console.print(
        f"  yardstick, {n} concurrent send_and_wait to the broker: "
        f"{len(direct) / min(seconds, 10):,.0f}/s, {_summary(direct)}"
    )
    gateway = psutil.Process(pid)
    cpu_before = sum(gateway.cpu_times()[:2])
    out: Any = multiprocessing.Queue()
    per = [n // 2, n - n // 2]
    procs = [
        multiprocessing.Process(target=_ingest_clients, args=(base, key, k, seconds, out))
        for k in per
        if k
    ]
    for p in procs:
        p.start()
    lat: list[float] = []
    bad: list[int] = []
    for _ in procs:
        got, refused = out.get()
        lat += got
        bad += refused
    for p in procs:
        p.join(30)
    rate = len(lat) / seconds
    cpu = sum(gateway.cpu_times()[:2]) - cpu_before
    console.print(f"  {rate:,.0f} requests/s, {_summary(lat)}; not 202: {len(bad)}")
    console.print(f"  gateway CPU {cpu / max(1, len(lat)) * 1e6:,.0f} µs a request")
    bare = len(direct) / min(seconds, 10)
    console.print(
        f"  {rate / bare:.2f}× the bare producer's rate; targets ≥ 500/s: "
        f"{'met' if rate >= 500 else 'NOT met'}, p99 ≤ 100 ms: "
        f"{'met' if _pct(lat, 0.99) <= 0.100 else 'NOT met'}"
    )
    console.print(f"  gateway RSS {psutil.Process(pid).memory_info().rss / 2**20:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ingest-connections", type=int, default=16)
    parser.add_argument("--ingest-seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, embedded.local_infra(Path(tmp)) as infra:
        settings = Settings(
            kafka_bootstrap=infra.bootstrap,
            redis_url=infra.redis_url,
            state_dir=Path(tmp) / "state",
            topic_prefix="bench.",
            redis_prefix="bench:",
            gateway_rate=100_000.0,
            gateway_burst=100_000,
            log_level="WARNING",
        )
        ensure_topics(infra.bootstrap, Topics("bench."), settings.partitions)
        recreate_topic(infra.bootstrap, Topics("bench.").subscriber("bench"), 1)
        path = Path(tmp) / "bench.toml"
        path.write_text(AGREEMENT)
        _, key = Subscribers(settings.subscribers_path, settings.agreements_path).add("bench", path)
        assert key is not None
        port = free_port()
        env = child_env(settings) | {"SAFER_GATEWAY_PORT": str(port)}
        gateway = Component(
            "gateway", [sys.executable, "-m", "cli", "gateway"], Path(tmp) / "gw.log", env
        )
        gateway.start()
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        try:
            pid = gateway.pid
            assert pid is not None
            console.print(
                f"gateway RSS at start {psutil.Process(pid).memory_info().rss / 2**20:.0f} MiB"
            )
            sse_phase(args, base, key, settings, pid)
            ingest_phase(args, base, key, settings, pid)
        finally:
            gateway.stop(10)
    console.print(f"load average at the end: {', '.join(f'{x:.1f}' for x in psutil.getloadavg())}")


if __name__ == "__main__":
    main()
