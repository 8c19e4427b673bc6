"""Soak: the whole local stack (`safer up`, embedded broker) at a steady rate for a long
time, to show whether its cost stays bounded.

Per window (default 5 minutes) it prints arrival -> visible latency p50/p99 (the worker's
own histogram, scraped at each window's edges, quantiles interpolated within buckets), the
broker's and the worker's RSS, Redis's used memory, the records in the log (the archive's
positions) and the record batches the broker holds (one full read of every partition per
window, batch headers counted). Target (issue 15): at 50 events/s for 60 minutes, p99
<= 250 ms in every window and the broker's RSS bounded.

    .venv/bin/python bench/soak.py --rate 50 --minutes 60
    .venv/bin/python bench/soak.py --rate 50 --minutes 10 --window-minutes 1   # quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
from aiokafka import TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.record.memory_records import MemoryRecords
from redis import Redis
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.engine import latency_quantiles, scrape
from bus.archive.catalog import Catalog, parse_tp
from safer.settings import Settings, child_env

P99_TARGET_S = 0.25
WARM_UP_S = 30.0
SAMPLE_S = 5.0
FETCH_BYTES = 16 * 1024 * 1024


@dataclass
class Window:
    minute: float
    events: float
    p50_ms: float
    p99_ms: float
    broker_mb: float
    worker_mb: float
    redis_mb: float
    log_records: int
    batches: int


async def count_batches(bootstrap: str, partitions: list[tuple[str, int]]) -> int:
    """Record batches stored in these partitions (their headers, read with raw fetches)."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, client_id="safer-soak")
    await client.bootstrap()
    try:
        await client._metadata_update(client.cluster, sorted({t for t, _ in partitions}))
        total = 0
        for topic, partition in partitions:
            node = client.cluster.leader_for_partition(TopicPartition(topic, partition))
            offset = 0
            while True:
                request = FetchRequest(
                    100, 1, FETCH_BYTES, 0, [(topic, [(partition, offset, FETCH_BYTES)])]
                )
                response = await client.send(node, request)
                data = response.topics[0][1][0][-1]
                if not data:
                    break
                records, n, following = MemoryRecords(bytes(data)), 0, offset
                while (batch := records.next_batch()) is not None:
                    n, following = n + 1, batch.next_offset
                if not n or following <= offset:
                    break
                total, offset = total + n, following
        return total
    finally:
        await client.close()


def _rss_mb(pid: int | None) -> float:
    if pid is None:
        return math.nan
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.NoSuchProcess:
        return math.nan


def _pids(info: dict[str, Any]) -> dict[str, int]:
    return {name: int(pid) for name, pid in info["components"].items()}


class Histogram:
    """The worker's latency histogram summed over scrapes, across worker restarts (a broker
    roll restarts the worker, whose counters then start again from zero)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.last = scrape(url)
        self.zero = _empty(self.last)
        self.window = _empty(self.last)

    def sample(self) -> None:
        try:
            now = scrape(self.url)
        except OSError:  # the worker is restarting
            return
        base = self.zero if now["count"] < self.last["count"] else self.last
        for bound, value in now["buckets"].items():
            self.window["buckets"][bound] = self.window["buckets"].get(bound, 0.0) + (
                value - base["buckets"].get(bound, 0.0)
            )
        self.window["count"] += now["count"] - base["count"]
        self.window["sum"] += now["sum"] - base["sum"]
        self.last = now

    def take(self) -> dict[str, Any]:
        """This window's observations (and a new, empty window)."""
        window, self.window = self.window, _empty(self.last)
        return latency_quantiles(self.zero, window)


def _empty(like: dict[str, Any]) -> dict[str, Any]:
    return {"buckets": dict.fromkeys(like["buckets"], 0.0), "count": 0.0, "sum": 0.0, "batch": {}}


def _window(info: dict[str, Any], catalog: Catalog, histogram: Histogram, started: float) -> Window:
    quantiles = histogram.take()
    pids = _pids(json.loads(Path(info["_stack_file"]).read_text()))
    redis = Redis.from_url(info["redis_url"])
    used = float(redis.info("memory")["used_memory"]) / 2**20
    redis.close()
    positions = catalog.positions()
    partitions = [parse_tp(tp) for tp in positions]
    batches = asyncio.run(count_batches(info["kafka_bootstrap"], partitions))
    return Window(
        (time.monotonic() - started) / 60,
        quantiles["observations"],
        quantiles["p50_s"] * 1000,
        quantiles["p99_s"] * 1000,
        _rss_mb(pids.get("broker")),
        _rss_mb(pids.get("worker")),
        used,
        sum(positions.values()),
        batches,
    )


def _table(rows: list[Window]) -> Table:
    table = Table(title="soak: per window")
    heads = (
        "minute",
        "events",
        "p50 ms",
        "p99 ms",
        "broker MB",
        "worker MB",
        "redis MB",
        "log records",
        "batches",
    )
    for head in heads:
        table.add_column(head, justify="right")
    for w in rows:
        mark = "" if w.p99_ms <= P99_TARGET_S * 1000 else " ✗"
        table.add_row(
            f"{w.minute:.1f}",
            f"{w.events:,.0f}",
            f"{w.p50_ms:.0f}",
            f"{w.p99_ms:.0f}{mark}",
            f"{w.broker_mb:.0f}",
            f"{w.worker_mb:.0f}",
            f"{w.redis_mb:.0f}",
            f"{w.log_records:,}",
            f"{w.batches:,}",
        )
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="simulated events per second")
    parser.add_argument("--minutes", type=float, default=60.0, help="how long to run")
    parser.add_argument("--window-minutes", type=float, default=5.0, help="length of a window")
    parser.add_argument("--state-dir", type=Path, help="keep the stack's state here")
    parser.add_argument("--json", action="store_true", help="also print the windows as JSON")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        state = args.state_dir or Path(tmp) / "state"
        settings = Settings(state_dir=state, dashboard_port=0)
        argv = [sys.executable, "-m", "cli", "up", "--no-dashboard", "--history", "0"]
        argv += ["--rate", str(args.rate)]
        out = (Path(tmp) / "up.out").open("wb")
        stack = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=child_env(settings)
        )
        try:
            info = _wait_for_stack(settings, stack)
            catalog = Catalog(settings.archive_dir)
            rows: list[Window] = []
            time.sleep(WARM_UP_S)  # the worker's first group join delays the first events
            histogram = Histogram(info["worker_metrics_url"])
            started = time.monotonic()
            console.print(f"soak: {args.rate:g} events/s for {args.minutes:g} min")
            edge = started + args.window_minutes * 60
            while time.monotonic() - started < args.minutes * 60 and stack.poll() is None:
                time.sleep(SAMPLE_S)
                histogram.sample()
                if time.monotonic() >= edge:
                    rows.append(_window(info, catalog, histogram, started))
                    console.print(_table(rows[-1:]))
                    edge += args.window_minutes * 60
        finally:
            stack.send_signal(signal.SIGINT)
            stack.wait(120)
    console.print(_table(rows))
    worst = max(w.p99_ms for w in rows)
    console.print(
        f"worst window p99 {worst:.0f} ms (target <= {P99_TARGET_S * 1000:.0f} ms): "
        f"{'met' if worst <= P99_TARGET_S * 1000 else 'NOT met'}; broker RSS "
        f"{rows[0].broker_mb:.0f} -> {rows[-1].broker_mb:.0f} MB"
    )
    if args.json:
        print(json.dumps([asdict(w) for w in rows]))
    return 0


def _wait_for_stack(settings: Settings, stack: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            info = json.loads(settings.stack_file.read_text())
            if info.get("pid") == stack.pid and info.get("worker_metrics_url"):
                info["_stack_file"] = str(settings.stack_file)
                scrape(info["worker_metrics_url"])
                return dict(info)
        except (FileNotFoundError, ValueError, OSError):
            pass
        if stack.poll() is not None:
            raise SystemExit(f"safer up exited with {stack.returncode}")
        time.sleep(0.5)
    raise SystemExit("safer up did not become ready within 120 s")


if __name__ == "__main__":
    raise SystemExit(main())
