"""Benchmark of the dashboard's Live refresh with a year of England-sized aggregates in Redis.

Starts its own redis-server (free port, no persistence, always stopped) and fills it with
a synthetic year (plus the 7 days a year-earlier comparison reaches back) of England-wide
aggregates in the real key layout (``aggregates.hashes``, ``store.keys``): ``--events``
events a year over ``--authorities`` local authorities of ``--wards`` wards each
(defaults: 9,000,000 over 309 × 23, about England's recorded crime, ASB, council reports
and fire incidents, its authorities and its ~7,000 wards). Wirral is
one of the authorities, with its real wards. The ward and borough levels are filled (hour,
day, month and all-time totals, and the day and month details that settle partly covered
days and months): the hashes the Live page reads, at England's density. Other levels and
breakdowns live in other keys, which a read never touches (sharded keys are looked up by
name). The ticker, freshness and outcome counters come from simulated Wirral events applied
by the real writer.

Then it times what a Live refresh does on the server, for a partnership of one authority
(Wirral), of six (a combined authority's size) and optionally of more, as analyst and as
partner: ``StoreReader.live_view`` (the one round trip: snapshot, ticker, every KPI window
with its comparisons, the chosen window), the baseline read (cached
``above_normal.BASELINE_TTL_S``: one refresh in a hundred at the default 3 s refresh) and
``live.live_figures`` (every figure the page shows, disclosure control included).
Streamlit's own drawing is not included. Target: p95 under 100 ms. Prints a table;
``--json`` adds machine-readable figures.

    .venv/bin/python bench/live_refresh.py                     # England-sized (about 10 min)
    .venv/bin/python bench/live_refresh.py --events 500000 --authorities 40   # quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aggregates.buckets import (
    DAY,
    HOUR,
    MONTH,
    Span,
    day_bounds,
    day_of,
    epoch_hour,
    home,
    month_bounds,
    month_of,
    rollup_of,
)
from aggregates.disclosure import Role
from aggregates.hashes import HashName, detail, totals
from cli.stack import embedded
from cli.stack.procs import free_port
from dashboard import data, live
from dashboard.above_normal import BASELINE_TTL_S
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.runtime import tune_gc
from safer.settings import Settings
from schemas.categories import ACTIVITY_CATEGORIES, CATEGORY_SOURCE
from schemas.codec import decode_incident
from store.keys import Keys
from store.reader import StoreReader
from store.writer import writer_for

console = Console()
TARGET_P95_MS = 100.0
REFRESH_S = 3.0  # the default SAFER_DASHBOARD_REFRESH_S
WIRRAL = "E08000015"
LEVELS = ("ward", "borough")
# Shares of events by home bucket: an hour (an instant or within one hour), a local day (an
# interval within a day), a month (police.uk's month-only records).
HOME_SHARES = {HOUR: 0.60, DAY: 0.25, MONTH: 0.15}
SOURCE_SHARES = {"police": 0.62, "council": 0.25, "fire": 0.13}


@dataclass(frozen=True, slots=True)
class England:
    """Synthetic geography: authority codes, and per authority its ward codes."""

    authorities: tuple[str, ...]
    wards: tuple[tuple[str, ...], ...]
    ward_names: dict[str, str]

    @classmethod
    def build(cls, authorities: int, wards_each: int) -> England:
        wirral = load_areas()
        codes = [WIRRAL] + [f"E09{n:06d}" for n in range(1, authorities)]
        wards = [tuple(wirral.ward_names)] + [
            tuple(f"E05{a:04d}{w:02d}" for w in range(wards_each)) for a in range(1, authorities)
        ]
        names = dict(wirral.ward_names)
        for a, codes_of in enumerate(wards[1:], start=1):
            names.update(
                {code: f"Ward {w + 1} of authority {a}" for w, code in enumerate(codes_of)}
            )
        return cls(tuple(codes), tuple(wards), names)

    def partnership(self, size: int) -> tuple[str, ...]:
        return self.authorities[:size]


def categories() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for category, source in CATEGORY_SOURCE.items():
        if category not in ACTIVITY_CATEGORIES:
            found.setdefault(source.value, []).append(category)
    return found


@dataclass(frozen=True, slots=True)
class Events:
    """One row per synthetic event (numpy columns)."""

    authority: np.ndarray
    ward: np.ndarray  # index into the authority's wards
    category: np.ndarray  # index into ``names``
    start: np.ndarray  # epoch hours
    end: np.ndarray
    names: list[str]


def synthesize(england: England, n: int, first: int, last: int, seed: int) -> Events:
    """``n`` events over [first, last) epoch hours, spread over every authority's wards."""
    rng = np.random.default_rng(seed)
    by_source = categories()
    names = [c for source in SOURCE_SHARES for c in by_source[source]]
    offsets = np.cumsum([0] + [len(by_source[s]) for s in SOURCE_SHARES])
    source = rng.choice(len(SOURCE_SHARES), n, p=list(SOURCE_SHARES.values()))
    within = rng.random(n)
    sizes = np.diff(offsets)
    category = offsets[source] + (within * sizes[source]).astype(np.int64)
    authority = rng.integers(0, len(england.authorities), n)
    ward_counts = np.array([len(w) for w in england.wards])
    ward = (rng.random(n) * ward_counts[authority]).astype(np.int64)
    homes = rng.choice(3, n, p=list(HOME_SHARES.values()))
    start = rng.integers(first, last, n)
    end = start + 1
    days = _local_days(first, last)
    months = sorted({month_of(h) for h in range(first, last, 24)})
    day_start = np.array([day_bounds(d)[0] for d in days])
    day_end = np.array([day_bounds(d)[1] for d in days])
    is_day = homes == 1
    pick = rng.integers(0, len(days), int(is_day.sum()))
    d0, d1 = day_start[pick], day_end[pick]
    s = d0 + rng.integers(0, 22, len(pick))
    e = np.minimum(s + rng.integers(2, 13, len(pick)), d1)
    start[is_day], end[is_day] = s, e
    is_month = homes == 2
    month_pick = rng.integers(0, len(months), int(is_month.sum()))
    m_bounds = np.array([month_bounds(m) for m in months])
    start[is_month], end[is_month] = m_bounds[month_pick, 0], m_bounds[month_pick, 1]
    return Events(authority, ward, category, start, end, names)


def _local_days(first: int, last: int) -> list[str]:
    days: list[str] = []
    for hour in range(first, last, 12):
        day = day_of(hour)
        if not days or days[-1] != day:
            days.append(day)
    return days


Hashes = dict[tuple[HashName, str], dict[str, int]]  # (hash, authority) -> field -> count


def aggregate(
    events: Events, england: England, level: str
) -> Iterator[tuple[HashName, str, dict[str, int]]]:
    """(authority-less hash name, authority, fields) of one level's ``cat`` hashes, laid out
    by the engine's own rules (``aggregates.buckets.home`` and ``rollup_of``): totals in the
    home bucket and every larger one, and day-, month- and long-home events in the home's
    detail hash with their span."""
    area = (
        events.authority
        if level == "borough"
        else events.authority * 1000 + events.ward  # one integer per ward
    )

    def area_name(code: int) -> str:
        if level == "borough":
            return england.authorities[code]
        return england.wards[code // 1000][code % 1000]

    hashes: Hashes = {}

    def add(name: HashName, authority: str, field: str, n: int) -> None:
        fields: dict[str, int] = hashes.setdefault((name, authority), {})
        fields[field] = fields.get(field, 0) + n

    table = np.stack([area, events.category, events.start, events.end], axis=1)
    rows, counts = np.unique(table, axis=0, return_counts=True)
    for (code, cat, start, end), n in zip(rows.tolist(), counts.tolist(), strict=True):
        authority = england.authorities[code if level == "borough" else code // 1000]
        field = f"{area_name(code)}|{events.names[cat]}"
        own = home(Span(start, end))
        if own.grain != HOUR:
            add(detail(own, level, "cat"), authority, f"{field}|{start}-{end}", n)
        for bucket in rollup_of(own):
            add(totals(bucket, level, "cat"), authority, field, n)
    for (name, authority), fields in hashes.items():
        yield name, authority, fields


def fill(redis: Redis, keys: Keys, events: Events, england: England) -> tuple[int, int]:
    """Write every hash (pipelined HSETs); returns (keys, fields) written."""
    written = fields_written = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        for level in LEVELS:
            task = progress.add_task(f"aggregating and writing the {level} level", total=None)
            pipe = redis.pipeline(transaction=False)
            for name, authority, fields in aggregate(events, england, level):
                pipe.hset(
                    keys.aggregate(name.of(authority), 0),
                    mapping=cast(dict[Any, Any], fields),
                )
                written += 1
                fields_written += len(fields)
                if len(pipe) >= 2000:
                    pipe.execute()
                    progress.update(task, completed=written)
            pipe.execute()
            progress.update(task, completed=written)
    return written, fields_written


def live_events(redis_url: str, prefix: str, n: int) -> None:
    """Simulated Wirral events through the real writer: ticker, freshness and outcomes."""
    messages = Simulator(load_areas(), seed=5, malformed_share=0.0).messages(
        n, datetime.now(UTC), window=timedelta(hours=2)
    )
    events = [decode_incident(m.value) for m in messages]

    async def run() -> None:
        client = AsyncRedis.from_url(redis_url)
        try:
            writer = writer_for(client, Settings(redis_url=redis_url, redis_prefix=prefix))
            for i in range(0, len(events), 500):
                await writer.apply(events[i : i + 500])
        finally:
            await client.aclose()

    asyncio.run(run())


@dataclass(frozen=True, slots=True)
class Timing:
    authorities: int
    role: str
    refreshes: int
    read_p50_ms: float
    read_p95_ms: float
    baseline_ms: float
    figures_p50_ms: float
    refresh_p50_ms: float
    refresh_p95_ms: float
    refresh_max_ms: float
    wards: int

    @property
    def met(self) -> bool:
        return self.refresh_p95_ms < TARGET_P95_MS


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_refreshes(
    redis: Redis, keys: Keys, england: England, size: int, role: Role, refreshes: int
) -> Timing:
    """``refreshes`` Live refreshes as the server runs them, uncached: the one round trip,
    the baseline on every ``BASELINE_TTL_S / REFRESH_S``-th, then every figure."""
    authorities = england.partnership(size)
    reader = StoreReader(redis, keys, authorities)
    ward_names = {w: england.ward_names[w] for a in range(size) for w in england.wards[a]}
    sources = list(data.ALL_SOURCES)
    every = max(1, round(BASELINE_TTL_S / REFRESH_S))
    settings = Settings()
    latest, weeks, needed = (
        settings.latest_incidents,
        settings.baseline_weeks,
        settings.verdict_weeks,
    )
    reads, baselines, computes, totals = [], [], [], []
    baseline = None
    for i in range(refreshes + 3):  # three warm-up refreshes are not counted
        started = time.perf_counter()
        plan = live.live_plan(role, datetime.now(UTC), "24h" if role.exact else "7d")
        snapshot, rows = reader.live_view(latest, "ward", list(plan.spans), unplaced=False)
        read_done = time.perf_counter()
        if baseline is None or i % every == 0:
            window = plan.baseline_window
            baseline = (reader.baseline("ward", window.start, window.end, weeks), needed)
            baselines.append((time.perf_counter() - read_done) * 1000)
        compute_start = time.perf_counter()
        shown = live.live_figures(
            plan, rows, snapshot.latest, baseline, sources, ward_names, role, data.TICKER_ROWS
        )
        done = time.perf_counter()
        if shown.wards.empty:
            raise SystemExit(f"no ward figures for {size} authorities: the fill did not land")
        if i >= 3:
            reads.append((read_done - started) * 1000)
            computes.append((done - compute_start) * 1000)
            totals.append((done - started) * 1000)
    return Timing(
        size,
        role.value,
        refreshes,
        percentile(reads, 0.5),
        percentile(reads, 0.95),
        statistics.median(baselines),
        percentile(computes, 0.5),
        percentile(totals, 0.5),
        percentile(totals, 0.95),
        max(totals),
        len(ward_names),
    )


def report(timings: list[Timing]) -> None:
    table = Table(title=f"Live refresh, server side (target: p95 < {TARGET_P95_MS:g} ms)")
    for column in (
        "authorities",
        "wards",
        "role",
        "read p50",
        "read p95",
        "baseline",
        "figures p50",
        "refresh p50",
        "refresh p95",
        "max",
        "target",
    ):
        table.add_column(column, justify="right")
    for t in timings:
        table.add_row(
            str(t.authorities),
            f"{t.wards:,}",
            t.role,
            f"{t.read_p50_ms:.1f} ms",
            f"{t.read_p95_ms:.1f} ms",
            f"{t.baseline_ms:.1f} ms",
            f"{t.figures_p50_ms:.1f} ms",
            f"{t.refresh_p50_ms:.1f} ms",
            f"{t.refresh_p95_ms:.1f} ms",
            f"{t.refresh_max_ms:.1f} ms",
            "[green]met[/green]" if t.met else "[red]missed[/red]",
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=9_000_000, help="events a year, England-wide")
    parser.add_argument("--authorities", type=int, default=309, help="local authorities")
    parser.add_argument("--wards", type=int, default=23, help="wards per synthetic authority")
    parser.add_argument(
        "--partnerships",
        default="1,6",
        help="partnership sizes to time, in authorities (comma-separated; Wirral first)",
    )
    parser.add_argument("--refreshes", type=int, default=200, help="timed refreshes per case")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the synthetic year")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.partnerships.split(",")]
    if args.authorities < max(sizes) or min(sizes) < 1:
        parser.error("partnership sizes must be between 1 and --authorities")
    england = England.build(args.authorities, args.wards)
    now_hour = epoch_hour(datetime.now(UTC))
    first, last = now_hour - (365 + 8) * 24, now_hour + 1
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        component, url = embedded.redis(free_port(), Path(tmp) / "data", Path(tmp), persist=False)
        component.start()
        try:
            embedded.wait_redis_ready(url)
            redis = Redis.from_url(url)
            keys = Keys(f"bench{uuid.uuid4().hex[:6]}:")
            started = time.perf_counter()
            events = synthesize(england, args.events, first, last, args.seed)
            written, fields = fill(redis, keys, events, england)
            live_events(url, keys.prefix, 2000)
            fill_s = time.perf_counter() - started
            memory = int(redis.info("memory")["used_memory"])
            console.print(
                f"Filled {args.events:,} events over {args.authorities} authorities "
                f"({sum(len(w) for w in england.wards):,} wards), {first}..{last} epoch hours: "
                f"{written:,} hashes, {fields:,} fields, Redis {memory / 2**20:,.0f} MiB, "
                f"{redis.dbsize():,} keys, in {fill_s:.0f} s"
            )
            tune_gc()  # as the dashboard server does once it has run a page (dashboard.ui)
            timings = [
                time_refreshes(redis, keys, england, size, role, args.refreshes)
                for size in sizes
                for role in (Role.ANALYST, Role.PARTNER)
            ]
            redis.close()
        finally:
            component.stop(5.0)
    report(timings)
    if args.json:
        print(json.dumps([asdict(t) | {"met": t.met} for t in timings], indent=2))
    return 0 if all(t.met for t in timings if t.authorities == 1) else 1


if __name__ == "__main__":
    raise SystemExit(main())
