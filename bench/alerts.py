"""Spike alerts on simulated traffic: false alarms per day at the default settings, and
the share of injected 1-hour surges detected (issue 17).

The simulator's traffic (the weekly rhythm, 2% duplicates, 3% corrections and
cancellations, police records that arrive late) is applied with the real aggregation
engine into a real redis-server: ``--history-weeks`` of it first, then ``--weeks`` more in
arrival order, evaluated every ``--look-seconds`` of simulated time with the live code
(``store.alert_inputs`` reads the aggregates, ``alerts.model`` tests, ``alerts.states``
raises and resolves). A surge is extra incidents in one ward over one hour, arriving
promptly as control-room and ASB reports do: ``MULT`` - 1 times the incidents that usually
occur in that ward in that hour (its weekly level x the hour's share of the week, however
late they are reported), at random wards and hours of the evaluated weeks.
A raise is a detection when it is of a surge's ward (or its borough) within the surge's
hour and the two after; every other raise is a false alarm.

    .venv/bin/python bench/alerts.py --history-weeks 12 --weeks 4 --surges 40
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from rich.console import Console
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aggregates.inputs import canonical_doc
from alerts.groups import ALL, DEFAULT_GROUPS
from alerts.model import ModelConfig, usual_in_hour
from alerts.states import Alert, LifeConfig, is_news, step
from cli.stack.embedded import redis as redis_component
from cli.stack.embedded import wait_redis_ready
from cli.stack.procs import free_port
from feeds.simulator.generator import Simulator
from feeds.simulator.history import history_batches, plan_history
from geography.areas import load_areas
from safer.settings import Settings
from schemas.codec import decode_incident
from store.alert_inputs import AlertInputs
from store.reader import StoreReader
from store.writer import writer_for

RATE = 0.03  # SAFER_SIMULATOR_RATE's default


@dataclass(frozen=True, slots=True)
class Surge:
    ward: str
    start: datetime
    multiplier: float
    extra: int = 0


def _docs(messages: list[Any]) -> list[tuple[datetime, dict[str, Any]]]:
    """(arrival, canonical doc) of every valid message (malformed ones dead-letter live)."""
    out = []
    for message in messages:
        try:
            event = decode_incident(message.value)
        except ValueError:
            continue
        doc = canonical_doc(event)
        arrival = datetime.fromisoformat(doc["data"]["received_at"].replace("Z", "+00:00"))
        out.append((arrival, doc))
    return out


def _surge_docs(
    surge: Surge, count: int, areas: Any, sim: Simulator, rng: random.Random
) -> list[tuple[datetime, dict[str, Any]]]:
    """``count`` council ASB incidents in the ward, arriving through the surge's hour."""
    lsoas = [x for x in areas.lsoas if x.ward_code == surge.ward]
    out = []
    while len(out) < count:
        for arrival, doc in _docs(
            sim.messages(1, surge.start + timedelta(minutes=rng.uniform(0, 60)))
        ):
            if doc["source"] != "council" or not doc["data"]["category"].startswith("asb-"):
                continue
            lsoa = rng.choice(lsoas)
            doc["data"]["location"] = {
                "lat": lsoa.lat,
                "lon": lsoa.lon,
                "lsoa_code": lsoa.code,
                "ward_code": lsoa.ward_code,
            }
            stamp = arrival.isoformat().replace("+00:00", "Z")
            doc["data"]["occurred"] = {"start": stamp}
            doc["data"]["received_at"] = stamp
            out.append((arrival, doc))
            if len(out) >= count:
                break
    return out


async def _apply(writer: Any, docs: list[dict[str, Any]]) -> None:
    for i in range(0, len(docs), 2000):
        await writer.apply_canonical(docs[i : i + 2000])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history-weeks", type=int, default=12)
    parser.add_argument("--weeks", type=int, default=4, help="weeks evaluated")
    parser.add_argument("--surges", type=int, default=40, help="surges of each multiplier")
    parser.add_argument("--look-seconds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--verbose", action="store_true", help="print each surge's tests")
    parser.add_argument("--fdr", type=float, default=ModelConfig().fdr, help="FDR level")
    parser.add_argument("--min-observed", type=int, default=ModelConfig().min_observed)
    args = parser.parse_args()
    console = Console()
    areas = load_areas()
    with tempfile.TemporaryDirectory() as tmp:
        component, url = redis_component(free_port(), Path(tmp) / "redis", Path(tmp), persist=False)
        component.start()
        try:
            wait_redis_ready(url)
            result = asyncio.run(_run(args, url, areas, console))
        finally:
            component.stop(5)
    _report(result, args, console)
    return 0


async def _run(args: argparse.Namespace, url: str, areas: Any, console: Console) -> dict[str, Any]:
    settings = Settings(redis_url=url, state_dir=Path(tempfile.mkdtemp()))
    rng = random.Random(args.seed)
    sim = Simulator(areas, seed=args.seed)
    surge_sim = Simulator(areas, seed=args.seed + 1)
    end = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
    evaluated_from = end - timedelta(weeks=args.weeks)
    plan = plan_history(sim, RATE, timedelta(weeks=args.history_weeks + args.weeks), end)
    writer = writer_for(AsyncRedis.from_url(url), settings)
    sync = Redis.from_url(url)
    reader = StoreReader.of(sync, settings)
    inputs = AlertInputs(
        reader,
        DEFAULT_GROUPS,
        {"ward": tuple(areas.ward_names), "borough": tuple(areas.authority_names)},
        ModelConfig(fdr=args.fdr, min_observed=args.min_observed),
    )
    life = LifeConfig()
    wards = sorted(areas.ward_names)
    hours = args.weeks * 7 * 24
    surges = [
        Surge(rng.choice(wards), evaluated_from + timedelta(hours=rng.randrange(24, hours - 3)), m)
        for m in (3.0, 5.0)
        for _ in range(args.surges)
    ]
    pending: list[tuple[datetime, dict[str, Any]]] = []
    alerts: dict[tuple[str, ...], Alert] = {}
    raises: list[Alert] = []
    looks = 0
    evaluate_s = 0.0
    injected: list[Surge] = []
    with Progress(console=console) as bar:
        task = bar.add_task("history", total=plan.messages)
        for batch in history_batches(sim, plan):
            docs = _docs(batch)
            if docs and docs[-1][0] <= evaluated_from:
                await _apply(writer, [d for _, d in docs])
                bar.advance(task, len(batch))
                continue
            pending += docs
            bar.advance(task, len(batch))
        bar.update(task, description="evaluated weeks")
        pending.sort(key=lambda x: x[0])
        first = [d for a, d in pending if a <= evaluated_from]
        await _apply(writer, first)
        rest = [(a, d) for a, d in pending if a > evaluated_from]
        look = evaluated_from
        index = 0
        todo = sorted(surges, key=lambda s: s.start)
        steps = int((end - evaluated_from).total_seconds() // args.look_seconds)
        task2 = bar.add_task("looks", total=steps)
        while look < end:
            look += timedelta(seconds=args.look_seconds)
            while todo and todo[0].start <= look:
                surge = todo.pop(0)
                history = inputs.history(surge.start)
                ward_history = history.areas["ward", ALL, "hour"][surge.ward]
                hour = int(surge.start.timestamp()) // 3600
                per_hour = usual_in_hour(
                    ward_history, history.pooled[ALL], hour, inputs.config.profile_prior
                )
                extra = max(1, round((surge.multiplier - 1) * per_hour))
                injected.append(Surge(surge.ward, surge.start, surge.multiplier, extra))
                rest += _surge_docs(surge, extra, areas, surge_sim, rng)
                rest.sort(key=lambda x: x[0])
            due = []
            while index < len(rest) and rest[index][0] <= look:
                due.append(rest[index][1])
                index += 1
            if due:
                await _apply(writer, due)
            started = time.perf_counter()
            found = inputs.evaluate(look)
            evaluate_s += time.perf_counter() - started
            looks += 1
            tests = {t.key: t for t in found.tests}
            if args.verbose:
                for surge in injected:
                    if surge.start < look <= surge.start + timedelta(hours=2):
                        t = tests.get(("ward", surge.ward, ALL, "hour"))
                        console.print(f"{look:%d %H:%M} {surge} covered={found.covered} {t}")
            for key in set(tests) | {k for k, a in alerts.items() if a.active}:
                before = alerts.get(key)
                after = step(before, tests.get(key), look, life)
                if after is not None:
                    alerts[key] = after
                    if is_news(before, after) and after.state == "raised":
                        raises.append(after)
            bar.advance(task2)
    sync.close()
    return {
        "raises": raises,
        "surges": injected,
        "looks": looks,
        "evaluate_ms": 1000 * evaluate_s / max(looks, 1),
        "events": plan.messages,
        "ward_authority": dict(areas.ward_authority),
    }


def _report(result: dict[str, Any], args: argparse.Namespace, console: Console) -> None:
    raises: list[Alert] = result["raises"]
    surges: list[Surge] = result["surges"]
    authority = result["ward_authority"]
    detected: dict[int, float] = {}
    explained: set[str] = set()
    for index, surge in enumerate(surges):
        lo, hi = surge.start, surge.start + timedelta(hours=3)
        for alert in raises:
            at = datetime.fromisoformat(alert.raised_at.replace("Z", "+00:00"))
            if lo <= at <= hi and alert.area in (surge.ward, authority.get(surge.ward)):
                explained.add(alert.id)
                delay = (at - surge.start).total_seconds() / 60
                detected[index] = min(detected.get(index, delay), delay)
    false = [a for a in raises if a.id not in explained]
    days = args.weeks * 7
    console.print(
        f"{result['events']:,} simulated messages; {result['looks']:,} evaluations every "
        f"{args.look_seconds} s of simulated time, {result['evaluate_ms']:.1f} ms each"
    )
    console.print(
        f"false alarms: {len(false)} in {days} days = {len(false) / days:.2f} a day (target <= 1)"
    )
    if args.verbose:
        for a in false:
            console.print(
                f"  false: {a.raised_at} {a.level} {a.area} {a.group}/{a.window} "
                f"observed {a.observed} expected {a.expected:.2f} p {a.p:.2g} "
                f"adjusted {a.p_adjusted:.2g}"
            )
    by_group = Counter(f"{a.group}/{a.window}/{a.level}" for a in false)
    if by_group:
        console.print(
            "  by group/window/level: " + ", ".join(f"{k} {v}" for k, v in sorted(by_group.items()))
        )
    for multiplier in (3.0, 5.0):
        group = [i for i, s in enumerate(surges) if s.multiplier == multiplier]
        hits = [detected[i] for i in group if i in detected]
        extra = statistics.median(s.extra for s in surges if s.multiplier == multiplier)
        delay = statistics.median(hits) if hits else float("nan")
        console.print(
            f"{multiplier:g}x surges: {len(hits)} of {len(group)} detected "
            f"({100 * len(hits) / max(len(group), 1):.0f}%; median {extra:g} extra incidents), "
            f"median delay from the surge's start {delay:.0f} min"
            + (" (target >= 90%)" if multiplier == 5.0 else "")
        )


if __name__ == "__main__":
    raise SystemExit(main())
