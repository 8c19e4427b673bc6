"""Redis memory footprint of the aggregates: measured for a Wirral-sized year, and
extrapolated to an England-sized load.

Applies a year of simulated Wirral traffic (default 52,000 events: ~2,500 police records,
~1,500 council reports and calls and ~300 fire incidents a month) through the live
writer into a private redis-server, then reads ``used_memory`` and counts keys by kind.
England is extrapolated from the measured cost per record state and per area-level hash
field, scaled by England's areas (about 7,000 wards, 33,755 LSOAs) and events
(~175 times Wirral's population).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from rich.console import Console
from rich.progress import track

from cli.stack import embedded
from cli.stack.procs import free_port
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.settings import Settings
from schemas.codec import decode_incident
from store.keys import RECORD, Keys
from store.writer import writer_for

console = Console()
PREFIX = "mem:"
ENGLAND_EVENT_FACTOR = 175  # population of England / Wirral
ENGLAND_AREA_FACTOR = {
    "ward": 7000 / 22,
    "lsoa": 33755 / 206,
    "borough": 296,
    "cell": 175,
    "place": 175,  # streets and places: with the events
}


def apply_year(redis_url: str, events: int) -> None:
    simulator = Simulator(load_areas(), seed=5, malformed_share=0.0)
    messages = simulator.messages(events, datetime.now(UTC), window=timedelta(days=365))
    settings = Settings(redis_url=redis_url, redis_prefix=PREFIX)

    async def run() -> None:
        client = AsyncRedis.from_url(redis_url)
        writer = writer_for(client, settings)
        for i in track(range(0, len(messages), 1000), description="applying", console=console):
            await writer.apply([decode_incident(m.value) for m in messages[i : i + 1000]])
        await client.aclose()

    asyncio.run(run())


def census(redis: Redis) -> tuple[Counter[str], Counter[str], int]:
    """Keys per kind, hash fields per level (aggregates), and bytes held by record states."""
    keys: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    record_bytes = 0
    layout = Keys(PREFIX)
    for raw in redis.scan_iter(match=layout.pattern, count=5000):
        kind = layout.kind_of(raw) or "?"
        keys[kind] += 1
        name = layout.hash_of(raw)
        if kind == RECORD:
            record_bytes += int(redis.memory_usage(raw) or 0)
        elif name is not None:
            fields[name.level] += int(redis.hlen(raw))
    return keys, fields, record_bytes


def report(events: int, used: int, keys: Counter[str], fields: Counter[str], records: int) -> None:
    aggregate_bytes = used - records
    per_field = aggregate_bytes / max(1, sum(fields.values()))
    console.print(
        f"Wirral-sized year: {events:,} events -> {used / 2**20:,.1f} MiB (record states "
        f"{records / 2**20:,.1f} MiB, aggregates and the rest {aggregate_bytes / 2**20:,.1f} MiB)"
    )
    console.print(f"keys by kind: {dict(keys.most_common())}")
    console.print(f"aggregate hash fields by level: {dict(fields.most_common())}")
    england_records = records * ENGLAND_EVENT_FACTOR
    england_aggregates = sum(
        n * ENGLAND_AREA_FACTOR.get(level, ENGLAND_EVENT_FACTOR) * per_field
        for level, n in fields.items()
    )
    console.print(
        f"England-sized year (extrapolated, {per_field:,.0f} bytes per field): record states "
        f"~{england_records / 2**30:,.1f} GiB, aggregates ~{england_aggregates / 2**30:,.1f} GiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=52_000, help="events in the year")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        component, url = embedded.redis(free_port(), Path(tmp), Path(tmp), persist=False)
        component.start()
        try:
            embedded.wait_redis_ready(url)
            redis = Redis.from_url(url)
            base = int(redis.info("memory")["used_memory"])
            apply_year(url, args.events)
            used = int(redis.info("memory")["used_memory"]) - base
            keys, fields, records = census(redis)
        finally:
            component.stop(5)
    report(args.events, used, keys, fields, records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
