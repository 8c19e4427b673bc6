"""The aggregation engine against the yardsticks: ``safer rebuild``, the live worker's full
job, and arrival -> visible-in-Redis latency at a steady rate.

Absolute figures drift on a shared machine; the ratios to the yardsticks
(``bench/yardsticks.py``) are the point.

1. Yardsticks on a preloaded canonical topic (``Topics("bench.").incidents``): the bare
   faust agent and the reference aiokafka + orjson + Redis loop, each in a fresh child.
2. ``python -m cli rebuild`` on that topic as a child process, timed whole (start-up
   included); events/s, ratio to the reference loop, projected time for 1,000,000 events,
   peak RSS and CPU use (psutil sampling of the child).
3. ``python -m cli worker`` on N realistic raw messages preloaded into a fresh
   namespace (duplicates, corrections and malformed at the simulator's default shares):
   timed from the first validated outcome in Redis to the moment the count stage's outcome
   counters (counted + corrected + duplicate + stale + cancelled) reach the number of
   valid messages; ratio to the bare faust agent, peak RSS of the worker.
4. With that worker still running (joined), raw messages at a steady ``--rate`` for
   ``--latency-seconds``; arrival (raw broker timestamp) -> after the Redis write, from
   the worker's ``safer_processing_latency_seconds{stage="count_incidents"}`` histogram
   scraped before and after (quantiles interpolated linearly within buckets), with a
   cross-check from Redis's count counters polled every 10 ms.

``--profile DIR`` also runs ``py-spy record`` on the rebuild child and on the worker during
the full job and prints their hottest functions (profiling slows both: those figures are
for attribution, not for the table).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from yardsticks import (
    Measurement,
    _tail,
    console,
    fast_producer,
    measure_faust_agent,
    measure_reference_loop,
    preload,
)

from cli.stack import embedded
from cli.stack.procs import Component, free_port
from feeds.raw import RawMessage
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.settings import Settings, child_env
from schemas.outcomes import COUNT_OUTCOMES as COUNT_OUTCOMES_SET
from schemas.topics import Topics
from store.keys import Keys
from streams.worker import prepare

PARTITIONS = 6
CHUNK = 10_000
COUNT_OUTCOMES = sorted(COUNT_OUTCOMES_SET)
STAGE = "count_incidents"
MILLION = 1_000_000
TARGET_REBUILD_MILLION_S = 60.0
TARGET_REBUILD_RATIO = 0.5
TARGET_WORKER_RATIO = 0.6
TARGET_WORKER_RSS = 300 * 2**20
TARGET_P99_S = 0.250
RAW_WINDOW = timedelta(hours=1)
"""Arrival times of the preloaded raw messages spread over the last hour."""
TICK_S = 0.015
"""Steady phase: one small batch every 15 ms."""


# --- results ------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the result table (and of the JSON)."""

    name: str
    events: int
    seconds: float
    rate: float
    ratio: float | None
    ratio_to: str
    target: str
    passed: bool | None
    peak_rss_bytes: int | None
    details: dict[str, Any] = field(default_factory=dict)


def _rss_mib(value: int | None) -> str:
    return f"{value / 2**20:,.0f} MiB" if value else "-"


def _yardstick_row(m: Measurement, baseline: Measurement, ratio_to: str) -> Row:
    return Row(
        m.name,
        m.events,
        m.elapsed_s,
        m.rate,
        m.rate / baseline.rate,
        ratio_to,
        "-",
        None,
        m.peak_rss_bytes,
    )


# --- sampling a child ---------------------------------------------------------------------


class Sampler:
    """Peak RSS and CPU seconds of one process (and its children), sampled on demand."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak_rss = 0
        self.cpu_s = 0.0

    def sample(self) -> None:
        with contextlib.suppress(psutil.Error):
            procs = [self.proc, *self.proc.children(recursive=True)]
            rss, cpu = 0, 0.0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    rss += p.memory_info().rss
                    times = p.cpu_times()
                    cpu += times.user + times.system
            self.peak_rss = max(self.peak_rss, rss)
            self.cpu_s = max(self.cpu_s, cpu)


# --- profiling (optional) -----------------------------------------------------------------


class Profiler:
    """``py-spy record --format raw`` attached to a pid until stopped (or the pid exits)."""

    def __init__(self, out_dir: Path | None, name: str, pid: int) -> None:
        self.path: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        if out_dir is None:
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / f"{name}.txt"
        spy = Path(sys.executable).with_name("py-spy")
        argv = [
            str(spy),
            "record",
            "--rate",
            "100",
            "--format",
            "raw",
            "--output",
            str(self.path),
            "--pid",
            str(pid),
        ]
        log = (out_dir / f"{name}.py-spy.log").open("wb")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def summary(self, top: int = 15) -> dict[str, Any] | None:
        if self.path is None or not self.path.exists():
            return None
        return summarise_profile(self.path, top)


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _frame_name(frame: str) -> str:
    """``func (path/to/module.py:123)`` -> ``module.py:func`` (one entry per function)."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match.group("file")
    parts = Path(file).parts
    for anchor in ("site-packages", "main"):
        if anchor in parts:
            file = "/".join(parts[parts.index(anchor) + 1 :])
            break
    else:
        file = "/".join(parts[-2:])
    return f"{file}:{match.group('func')}"


def summarise_profile(path: Path, top: int = 15) -> dict[str, Any]:
    """Self and inclusive sample shares per function from a py-spy raw (collapsed) file."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame_name(f) for f in stack.split(";")]
        total += n
        own[frames[-1]] += n
        for name in set(frames):
            inclusive[name] += n
    if not total:
        return {"samples": 0, "self": [], "inclusive": []}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, 100.0 * n / total) for name, n in counter.most_common(top)]

    ours = Counter({k: v for k, v in inclusive.items() if k.split("/", 1)[0] in _OUR_PACKAGES})
    return {"samples": total, "self": share(own), "inclusive_ours": share(ours)}


_OUR_PACKAGES = {"aggregates", "safer", "schemas", "feeds", "streams", "store"}


def _print_profile(title: str, summary: dict[str, Any] | None) -> None:
    if not summary or not summary.get("samples"):
        console.print(f"[yellow]{title}: no py-spy samples[/]")
        return
    table = Table(title=f"{title}: {summary['samples']:,} py-spy samples")
    table.add_column("self %", justify="right")
    table.add_column("function (self time)")
    table.add_column("incl. %", justify="right")
    table.add_column("our function (inclusive)")
    selfs, ours = summary["self"], summary["inclusive_ours"]
    for i in range(max(len(selfs), len(ours))):
        a = selfs[i] if i < len(selfs) else ("", None)
        b = ours[i] if i < len(ours) else ("", None)
        table.add_row(
            f"{a[1]:.1f}" if a[1] is not None else "",
            a[0],
            f"{b[1]:.1f}" if b[1] is not None else "",
            b[0],
        )
    console.print(table)


# --- 2. rebuild ---------------------------------------------------------------------------


_REBUILT = re.compile(r"rebuilt generation (\d+) from (\d+) events \((\d+) invalid")


def measure_rebuild(
    settings: Settings,
    n: int,
    reference: Measurement,
    logs: Path,
    profile: Path | None,
    infra: dict[str, int | None],
) -> Row:
    """``python -m cli rebuild`` as a child, timed whole (interpreter start included)."""
    log = logs / "rebuild.log"
    child = Component(
        "rebuild", [sys.executable, "-m", "cli", "rebuild"], log, child_env(settings)
    )
    infra_before = cpu_seconds(infra)
    start = time.perf_counter()
    child.start()
    assert child.pid is not None
    sampler = Sampler(child.pid)
    profiler = Profiler(profile, "rebuild", child.pid)
    deadline = time.monotonic() + 120 + n / 500
    try:
        with console.status(f"safer rebuild of {n:,} events"):
            while child.alive():
                sampler.sample()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"rebuild still running after the deadline: {_tail(log)}")
                time.sleep(0.05)
        elapsed = time.perf_counter() - start
        infra_cpu = cpu_shares(infra_before, cpu_seconds(infra), elapsed)
    finally:
        child.stop(5)
        profiler.stop()
    if child.exit_code() != 0:
        raise RuntimeError(f"rebuild exited {child.exit_code()}: {_tail(log)}")
    found = _REBUILT.search(log.read_text(errors="replace"))
    events = int(found.group(2)) if found else n
    invalid = int(found.group(3)) if found else -1
    rate = events / elapsed
    ratio = rate / reference.rate
    projected = MILLION / rate
    passed = ratio >= TARGET_REBUILD_RATIO and projected <= TARGET_REBUILD_MILLION_S
    details = {
        "projected_million_s": projected,
        "invalid": invalid,
        "cpu_s": sampler.cpu_s,
        "cpu_share_of_one_core": sampler.cpu_s / elapsed,
        "infra_cpu_share_of_one_core": infra_cpu,
        "ratio_target": TARGET_REBUILD_RATIO,
        "million_target_s": TARGET_REBUILD_MILLION_S,
        "profile": profiler.summary(),
    }
    return Row(
        "safer rebuild (whole command)",
        events,
        elapsed,
        rate,
        ratio,
        "reference loop",
        f">= {TARGET_REBUILD_RATIO}x ref; 1M <= {TARGET_REBUILD_MILLION_S:.0f} s "
        f"(projected {projected:.0f} s)",
        passed,
        sampler.peak_rss,
        details,
    )


# --- 3. worker, full job ------------------------------------------------------------------


RawTuple = tuple[str, bytes | None, bytes, str]


def _simulate_raw(seed: int, count: int, now: datetime) -> list[RawTuple]:
    """In a pool worker: ``count`` raw messages (source, key, value, label), default shares."""
    simulator = Simulator(load_areas(), seed=seed)
    return [
        (m.source.value, m.key, m.value, m.label)
        for m in simulator.messages(count, now, window=RAW_WINDOW)
    ]


def preload_raw(bootstrap: str, topics: Topics, n: int, seed: int) -> Counter[str]:
    """Publish ``n`` simulated raw messages to their raw topics (the fast-producer trick of
    ``yardsticks.preload``); returns the simulator's labels, counted."""
    from schemas.categories import Source

    producer = fast_producer(bootstrap, "engine-preload")
    names = {source.value: topics.raw(source).name for source in Source}
    chunks = [min(CHUNK, n - done) for done in range(0, n, CHUNK)]
    labels: Counter[str] = Counter()
    futures = []
    now = datetime.now(UTC)
    start = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with (
            ProcessPoolExecutor(os.cpu_count() or 1) as pool,
            Progress(*columns, console=console) as progress,
        ):
            task = progress.add_task("preload raw topics", total=n)
            seeds = range(seed, seed + len(chunks))
            for batch in pool.map(_simulate_raw, seeds, chunks, [now] * len(chunks)):
                for source, key, value, label in batch:
                    futures.append(producer.send(names[source], key=key, value=value))
                    labels[label] += 1
                progress.advance(task, len(batch))
            producer.flush()
    finally:
        producer.close()
    failed = [f for f in futures if not f.succeeded()]
    if failed:
        raise RuntimeError(f"raw preload: {len(failed)} sends failed: {failed[0].exception}")
    elapsed = time.perf_counter() - start
    console.print(
        f"preloaded {n:,} raw messages in {elapsed:.1f} s; labels: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(labels.items()))
    )
    return labels


@dataclass(frozen=True, slots=True)
class Outcomes:
    validated: int
    dead: int
    counted: int
    late: int
    by_outcome: dict[str, int]


def read_outcomes(redis: Redis, keys: Keys) -> Outcomes:
    by_outcome: Counter[str] = Counter()
    for name, value in redis.hgetall(keys.outcomes).items():
        outcome = name.decode().split("|", 1)[0]
        by_outcome[outcome] += int(value)
    return Outcomes(
        by_outcome["validated"],
        by_outcome["dead-lettered"],
        sum(by_outcome[o] for o in COUNT_OUTCOMES),
        by_outcome["late"],
        dict(by_outcome),
    )


class Worker:
    """``python -m cli worker`` as a child, with its sampler."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.log = logs / "worker.log"
        self.component = Component(
            "worker", [sys.executable, "-m", "cli", "worker"], self.log, child_env(settings)
        )
        self.sampler: Sampler | None = None

    def start(self) -> None:
        self.component.start()
        assert self.component.pid is not None
        self.sampler = Sampler(self.component.pid)

    def check(self) -> None:
        if not self.component.alive():
            raise RuntimeError(f"worker exited ({self.component.exit_code()}): {_tail(self.log)}")
        assert self.sampler is not None
        self.sampler.sample()

    def stop(self) -> None:
        self.component.stop(10)

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.worker_web_port}/metrics"


def cpu_seconds(pids: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds used so far by each named process (0 when gone)."""
    out = {}
    for name, pid in pids.items():
        try:
            times = psutil.Process(pid).cpu_times() if pid else None
        except psutil.Error:
            times = None
        out[name] = times.user + times.system if times else 0.0
    return out


def cpu_shares(
    before: dict[str, float], after: dict[str, float], seconds: float
) -> dict[str, float]:
    return {name: (after[name] - before[name]) / seconds for name in before}


def measure_full_job(
    worker: Worker,
    redis: Redis,
    keys: Keys,
    n: int,
    labels: Counter[str],
    faust: Measurement,
    profile: Path | None,
    infra: dict[str, int | None],
) -> Row:
    """Start the worker on the preloaded raw topics; time first validated -> all counted."""
    worker.start()
    assert worker.sampler is not None
    deadline = time.monotonic() + 120 + n / 300
    first_at: float | None = None
    at_first = Outcomes(0, 0, 0, 0, {})
    profiler: Profiler | None = None
    with console.status("worker: group join, then the full job") as status:
        while True:
            worker.check()
            now = read_outcomes(redis, keys)
            stamp = time.perf_counter()
            if first_at is None and now.validated:
                first_at, at_first = stamp, now
                cpu_at_first = worker.sampler.cpu_s
                infra_at_first = cpu_seconds(infra)
                assert worker.component.pid is not None
                profiler = Profiler(profile, "worker-full-job", worker.component.pid)
            if first_at is not None:
                status.update(
                    f"worker: validated {now.validated:,} + dead {now.dead:,} of {n:,}; "
                    f"counted {now.counted:,}"
                )
            if now.validated + now.dead >= n and now.counted >= now.validated:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"full job not done by the deadline: {now}")
            time.sleep(0.05)
    if profiler is not None:
        profiler.stop()
    assert first_at is not None
    batches = scrape(worker.metrics_url)["batch"]
    elapsed = stamp - first_at
    events = now.counted - at_first.counted
    rate = events / elapsed
    ratio = rate / faust.rate
    cpu = worker.sampler.cpu_s - cpu_at_first
    infra_cpu = cpu_shares(infra_at_first, cpu_seconds(infra), elapsed)
    details = {
        "raw_messages": n,
        "labels": dict(labels),
        "validated": now.validated,
        "dead_lettered": now.dead,
        "count_outcomes": {o: now.by_outcome.get(o, 0) for o in COUNT_OUTCOMES},
        "late": now.late,
        "counted_before_first_validated_seen": at_first.counted,
        "raw_per_s": (n - at_first.validated - at_first.dead) / elapsed,
        "cpu_s": cpu,
        "cpu_share_of_one_core": cpu / elapsed,
        "infra_cpu_share_of_one_core": infra_cpu,
        "ratio_target": TARGET_WORKER_RATIO,
        "batch_mean_events": {k: total / n for k, (total, n) in batches.items() if n},
        "profile": profiler.summary() if profiler else None,
    }
    return Row(
        "worker full job (validate + count)",
        events,
        elapsed,
        rate,
        ratio,
        "bare faust agent",
        f">= {TARGET_WORKER_RATIO}x faust",
        ratio >= TARGET_WORKER_RATIO,
        worker.sampler.peak_rss,
        details,
    )


# --- 4. latency at a steady rate ----------------------------------------------------------


def scrape(url: str) -> dict[str, Any]:
    """The latency histogram's cumulative buckets and the batch-size sums, by stage."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own worker)
        text = response.read().decode()
    buckets: dict[float, float] = {}
    count = total = 0.0
    batch: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "safer_processing_latency_seconds_bucket" and (
                labels.get("stage") == STAGE
            ):
                buckets[float(labels["le"])] = sample.value
            elif sample.name == "safer_processing_latency_seconds_count" and (
                labels.get("stage") == STAGE
            ):
                count = sample.value
            elif sample.name == "safer_processing_latency_seconds_sum" and (
                labels.get("stage") == STAGE
            ):
                total = sample.value
            elif sample.name in ("safer_batch_size_events_sum", "safer_batch_size_events_count"):
                pair = batch.setdefault(labels["stage"], [0.0, 0.0])
                pair[0 if sample.name.endswith("_sum") else 1] = sample.value
    return {"buckets": buckets, "count": count, "sum": total, "batch": batch}


def histogram_quantile(q: float, bounds: list[float], cumulative: list[float]) -> float:
    """Prometheus-style: linear interpolation inside the bucket holding rank q * total
    (lower edge 0 for the first bucket; ``inf`` when the rank falls in +Inf)."""
    total = cumulative[-1]
    if total <= 0:
        return math.nan
    rank = q * total
    i = bisect.bisect_left(cumulative, rank)
    upper = bounds[i]
    if math.isinf(upper):
        return math.inf
    lower = bounds[i - 1] if i > 0 else 0.0
    below = cumulative[i - 1] if i > 0 else 0.0
    inside = cumulative[i] - below
    return lower + (upper - lower) * ((rank - below) / inside if inside else 1.0)


def latency_quantiles(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    bounds = sorted(after["buckets"])
    cumulative = [after["buckets"][b] - before["buckets"].get(b, 0.0) for b in bounds]
    count = after["count"] - before["count"]
    mean = (after["sum"] - before["sum"]) / count if count else math.nan
    result: dict[str, Any] = {
        "observations": count,
        "mean_s": mean,
        "buckets": {
            ("+Inf" if math.isinf(b) else b): c for b, c in zip(bounds, cumulative, strict=True)
        },
    }
    for q in (0.5, 0.95, 0.99):
        result[f"p{round(q * 100)}_s"] = histogram_quantile(q, bounds, cumulative)
    batch = {}
    for stage, (total, n) in after["batch"].items():
        old_total, old_n = before["batch"].get(stage, [0.0, 0.0])
        if n - old_n:
            batch[stage] = (total - old_total) / (n - old_n)
    result["batch_mean_events"] = batch
    return result


class CounterPoller(threading.Thread):
    """Polls the count stage's outcome total every ``period_s``: (perf_counter, total)."""

    def __init__(self, redis_url: str, keys: Keys, period_s: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.redis = Redis.from_url(redis_url)
        self.keys = keys
        self.period_s = period_s
        self.samples: list[tuple[float, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            counted = read_outcomes(self.redis, self.keys).counted
            self.samples.append((time.perf_counter(), counted))
            self.halt.wait(self.period_s)
        self.redis.close()


def crossing_latencies(
    published: list[float], base: int, samples: list[tuple[float, int]]
) -> list[float]:
    """FIFO approximation: the k-th valid message published is taken as visible when the
    count total first reaches base + k (order across partitions is not kept, so this
    spreads individual latencies but keeps their distribution roughly honest)."""
    times = [t for t, _ in samples]
    totals = [c for _, c in samples]
    out = []
    for k, sent in enumerate(published, start=1):
        i = bisect.bisect_left(totals, base + k)
        if i < len(times):
            out.append(times[i] - sent)
    del times
    return out


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def measure_latency(
    worker: Worker,
    settings: Settings,
    redis: Redis,
    keys: Keys,
    rate: float,
    seconds: float,
    seed: int,
) -> Row:
    """Steady ``rate`` raw messages/s for ``seconds`` into the running (joined) worker."""
    from feeds.publish.publisher import RawPublisher

    total = max(1, round(rate * seconds))
    simulator = Simulator(load_areas(), seed=seed)
    messages: list[RawMessage] = simulator.messages(total, datetime.now(UTC))
    valid_mask = [m.label != "malformed" for m in messages]
    worker.check()
    base = read_outcomes(redis, keys)
    before = scrape(worker.metrics_url)
    poller = CounterPoller(settings.require_redis(), keys)
    sent_at: list[float] = []
    topics = Topics(settings.topic_prefix)
    with RawPublisher(settings.require_kafka(), topics, client_id="engine-latency") as publisher:
        poller.start()
        with console.status(f"steady {rate:,.0f} messages/s for {seconds:.0f} s"):
            start = time.perf_counter()
            sent = 0
            next_sample = start
            while sent < total:
                now = time.perf_counter()
                due = min(total, int((now - start) * rate))
                if due > sent:
                    stamp = time.perf_counter()
                    publisher.publish(messages[sent:due])
                    sent_at += [stamp] * (due - sent)
                    sent = due
                if now >= next_sample:
                    worker.check()
                    next_sample = now + 0.5
                time.sleep(max(0.0, start + (sent + rate * TICK_S) / rate - time.perf_counter()))
            publish_elapsed = time.perf_counter() - start
            publisher.flush()
    valid = sum(valid_mask)
    deadline = time.monotonic() + 60
    with console.status("waiting for the steady phase to be counted"):
        while read_outcomes(redis, keys).counted < base.counted + valid:
            worker.check()
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    time.sleep(0.3)
    poller.halt.set()
    poller.join()
    after = scrape(worker.metrics_url)
    final = read_outcomes(redis, keys)
    quantiles = latency_quantiles(before, after)
    published = [t for t, ok in zip(sent_at, valid_mask, strict=True) if ok]
    crossing = crossing_latencies(published, base.counted, poller.samples)
    quantiles["crosscheck"] = {
        "method": "count total polled every 10 ms; k-th valid published ~ k-th counted",
        "samples": len(crossing),
        "p50_s": _percentile(crossing, 0.5),
        "p95_s": _percentile(crossing, 0.95),
        "p99_s": _percentile(crossing, 0.99),
        "max_s": max(crossing) if crossing else math.nan,
    }
    quantiles["published"] = total
    quantiles["valid"] = valid
    quantiles["counted"] = final.counted - base.counted
    quantiles["achieved_rate"] = total / publish_elapsed
    p99 = quantiles["p99_s"]
    assert worker.sampler is not None
    return Row(
        f"latency at {rate:,.0f}/s, {seconds:.0f} s (p99)",
        total,
        publish_elapsed,
        total / publish_elapsed,
        None,
        "-",
        f"p99 <= {TARGET_P99_S * 1000:.0f} ms",
        bool(p99 <= TARGET_P99_S),
        worker.sampler.peak_rss,
        quantiles,
    )


# --- CLI ----------------------------------------------------------------------------------


def _fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "> 30,000 ms"
    return f"{value * 1000:,.0f} ms"


def _table(rows: Sequence[Row]) -> Table:
    table = Table(title="aggregation engine vs yardsticks")
    for column in (
        "measurement",
        "events",
        "seconds",
        "events/s",
        "ratio",
        "target",
        "result",
        "peak RSS",
    ):
        table.add_column(column, justify="left" if column in ("measurement", "target") else "right")
    for row in rows:
        ratio = f"{row.ratio:.2f}x {row.ratio_to}" if row.ratio is not None else "-"
        result = "-" if row.passed is None else ("[green]pass[/]" if row.passed else "[red]FAIL[/]")
        table.add_row(
            row.name,
            f"{row.events:,}",
            f"{row.seconds:.2f}",
            f"{row.rate:,.0f}",
            ratio,
            row.target,
            result,
            _rss_mib(row.peak_rss_bytes),
        )
    return table


def _rss_row(worker_row: Row) -> Row:
    rss = worker_row.peak_rss_bytes or 0
    return Row(
        "worker peak RSS (full job + latency)",
        worker_row.events,
        worker_row.seconds,
        worker_row.rate,
        None,
        "-",
        f"<= {TARGET_WORKER_RSS // 2**20} MB",
        rss <= TARGET_WORKER_RSS,
        rss,
    )


def _infra(details: dict[str, Any]) -> str:
    shares = details.get("infra_cpu_share_of_one_core", {})
    return ", ".join(f"{name} {share:.0%}" for name, share in shares.items())


def _print_notes(rows: Sequence[Row]) -> None:
    for row in rows:
        d = row.details
        if "projected_million_s" in d:
            console.print(
                f"rebuild: {row.events:,} events in {row.seconds:.1f} s whole command; "
                f"1,000,000 events projected {d['projected_million_s']:.0f} s; "
                f"CPU {d['cpu_share_of_one_core']:.0%} of one core ({_infra(d)}); "
                f"ratio {row.ratio:.2f}x reference loop"
            )
        elif "count_outcomes" in d:
            outcomes = ", ".join(f"{k} {v:,}" for k, v in d["count_outcomes"].items())
            console.print(
                f"worker full job: {d['raw_messages']:,} raw -> {d['validated']:,} validated, "
                f"{d['dead_lettered']:,} dead-lettered; count stage: {outcomes} "
                f"(late {d['late']:,}); {d['raw_per_s']:,.0f} raw messages/s; worker CPU "
                f"{d['cpu_share_of_one_core']:.0%} of one core ({_infra(d)}); mean batch "
                f"size: {_batches(d)}"
            )
        elif "p99_s" in d:
            cross = d["crosscheck"]
            batch = _batches(d)
            console.print(
                f"latency (histogram {STAGE}, {d['observations']:,.0f} observations, "
                f"interpolated within buckets 5/10/25/50/100/250/500 ms…): "
                f"p50 {_fmt_ms(d['p50_s'])}, p95 {_fmt_ms(d['p95_s'])}, "
                f"p99 {_fmt_ms(d['p99_s'])}, mean {_fmt_ms(d['mean_s'])}; "
                f"cross-check from Redis counters (10 ms polls, FIFO approximation, "
                f"{cross['samples']:,} events): p50 {_fmt_ms(cross['p50_s'])}, "
                f"p95 {_fmt_ms(cross['p95_s'])}, p99 {_fmt_ms(cross['p99_s'])}, "
                f"max {_fmt_ms(cross['max_s'])}; achieved {d['achieved_rate']:,.0f} msg/s; "
                f"mean batch size: {batch}"
            )


def _batches(details: dict[str, Any]) -> str:
    means = details["batch_mean_events"].items()
    return ", ".join(f"{stage} {mean:.1f}" for stage, mean in means) or "-"


def _finite(value: Any) -> Any:
    """NaN and infinities as null (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Aggregation engine benchmark: safer rebuild, the worker's full job and "
        "arrival -> Redis latency, as ratios to the yardsticks (bare faust agent, reference "
        "aiokafka + Redis loop), on an embedded Tansu broker and a private redis-server."
    )
    parser.add_argument(
        "--events",
        type=int,
        default=200_000,
        help="events preloaded for the yardsticks, rebuild and the full job "
        "(default 200,000; smaller for quick runs)",
    )
    parser.add_argument(
        "--latency-seconds",
        type=float,
        default=30.0,
        help="length of the steady-rate latency phase (default 30)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=500.0,
        help="raw messages per second in the latency phase (default 500)",
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator seed of the raw traffic")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also py-spy the rebuild and the worker's full job into DIR and "
        "print their hottest functions (slows both down)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        choices=["rebuild", "worker", "latency"],
        default=[],
        help="leave a phase out (repeatable), for quicker runs while working on the other",
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)

    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp,
        embedded.local_infra(Path(tmp)) as local,
    ):
        logs = Path(tmp)
        redis_url = local.redis_url
        worker: Worker | None = None
        redis: Redis | None = None
        try:
            redis = Redis.from_url(redis_url)
            base = Settings(
                kafka_bootstrap=local.bootstrap,
                redis_url=redis_url,
                state_dir=logs / "state",
                log_level="WARNING",
                partitions=PARTITIONS,
            )

            # 1. yardsticks
            topic = Topics("bench.").incidents.name
            preload(local.bootstrap, topic, args.events, PARTITIONS)
            with console.status("reference loop (aiokafka + orjson + Redis)"):
                reference = measure_reference_loop(local.bootstrap, redis_url, topic, args.events)
            faust: Measurement | None = None  # the worker's floor (not needed without it)
            if "worker" not in args.skip:
                with console.status("bare faust agent (group join first, ~5 s)"):
                    faust_default = measure_faust_agent(local.bootstrap, topic, args.events)
                with console.status("bare faust agent with the worker's GC tuning"):
                    faust_tuned = measure_faust_agent(
                        local.bootstrap, topic, args.events, tuned_gc=True
                    )
                # The worker is held to the faster floor: its GC tuning is not a free pass.
                faust = max(faust_default, faust_tuned, key=lambda m: m.rate)
                rows += [
                    _yardstick_row(faust_default, faust, "bare faust"),
                    _yardstick_row(faust_tuned, faust, "bare faust"),
                ]
                console.print(
                    f"yardsticks: bare faust {faust_default.rate:,.0f}/s "
                    f"({faust_tuned.rate:,.0f}/s with the worker's GC tuning)"
                )
            rows.append(
                _yardstick_row(
                    reference, faust or reference, "bare faust" if faust else "reference loop"
                )
            )
            console.print(f"yardstick: reference loop {reference.rate:,.0f}/s")

            # 2. rebuild
            rebuild_settings = base.model_copy(
                update={"topic_prefix": "bench.", "redis_prefix": f"rb{uuid.uuid4().hex[:6]}:"}
            )
            infra = {"broker": local.broker_pid, "redis": local.redis_pid}
            if "rebuild" not in args.skip:
                rows.append(
                    measure_rebuild(
                        rebuild_settings, args.events, reference, logs, args.profile, infra
                    )
                )
                console.print(f"rebuild: {rows[-1].rate:,.0f} events/s")

            # 3. worker, full job (and 4. latency, on the same worker)
            if faust is not None:  # the worker, unless skipped
                run = uuid.uuid4().hex[:6]
                settings = base.model_copy(
                    update={
                        "topic_prefix": f"engine{run}.",
                        "redis_prefix": f"engine{run}:",
                        "consumer_group": f"engine-{run}",
                        "worker_web_port": free_port(),
                    }
                )
                prepare(settings)
                (settings.state_dir / "faust" / settings.consumer_group).mkdir(parents=True)
                keys = Keys(settings.redis_prefix)
                labels = preload_raw(
                    local.bootstrap, Topics(settings.topic_prefix), args.events, args.seed * 1000
                )
                worker = Worker(settings, logs)
                full = measure_full_job(
                    worker, redis, keys, args.events, labels, faust, args.profile, infra
                )
                rows.append(full)
                console.print(f"worker full job: {full.rate:,.0f} events/s")

                # 4. latency
                if "latency" not in args.skip:
                    latency = measure_latency(
                        worker,
                        settings,
                        redis,
                        keys,
                        args.rate,
                        args.latency_seconds,
                        args.seed + 1,
                    )
                    rows.append(latency)
                    full.peak_rss_bytes = max(full.peak_rss_bytes or 0, latency.peak_rss_bytes or 0)
                rows.append(_rss_row(full))
        finally:
            if worker is not None:
                worker.stop()
            if redis is not None:
                redis.close()

    Console(width=max(console.width, 150)).print(_table(rows))
    _print_notes(rows)
    console.print(
        f"{args.events:,} events, {PARTITIONS} partitions; faust timed from its first batch, "
        "the reference loop from its first fetch, rebuild whole (interpreter start included), "
        "the full job from the first validated outcome seen in Redis (50 ms polls)."
    )
    for row in rows:
        profile = row.details.get("profile")
        if profile:
            _print_profile(f"py-spy: {row.name}", profile)
    if args.json:
        print(json.dumps(_finite([asdict(row) for row in rows]), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
