"""``safer rebuild``: every aggregate rebuilt from the canonical topic, beside the live one.

Kafka is the source of truth. The rebuild reads ``incidents.v1`` from the beginning with a
plain Kafka client (a bulk path; no consumer group, so nobody's offsets move) and applies
it with the very same writer and aggregation functions as the live worker, into a new
generation of keys. When it has caught up it swaps the generation pointer atomically; the
live worker's next batch, its keys named in the old generation, finds the swap inside its
own Lua call, writes nothing and is named and planned again in the new generation. A last
catch-up after the swap picks up what the worker applied to the old generation meanwhile,
and the old generation is deleted. The dashboard reads the live
generation throughout, so it stays up and correct.

This module runs it: in this process, or split by partition over several processes
(``run_rebuild``); one pass is ``streams.rebuild_pass.Rebuild``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from redis.asyncio import Redis

from safer.runtime import tune_gc
from safer.settings import Settings
from store.writer import writer_for
from streams.rebuild_pass import Progress, Rebuild, RebuildReport
from streams.validation import is_unavailable

__all__ = ["PARALLEL_FROM_EVENTS", "Rebuild", "RebuildReport", "run_rebuild"]

PARALLEL_FROM_EVENTS = 50_000


def run_rebuild(
    settings: Settings, progress: Progress | None = None, processes: int | None = None
) -> RebuildReport:
    """Rebuild in this process, or split by partition over ``processes`` processes, this one
    and ``processes - 1`` children (records are partitioned by key, so each record is
    rebuilt by one process; hash increments commute). Phases as in ``Rebuild.run``: catch
    up twice, swap, catch up once more.
    ``None``: one process below 50,000 events, else one per core (at most one per partition).
    """
    tune_gc()
    if processes is None:
        ends = asyncio.run(_end_offsets(Rebuild(settings)))
        big = sum(ends.values()) >= PARALLEL_FROM_EVENTS
        processes = min(os.cpu_count() or 1, len(ends)) if big else 1
    if processes <= 1:
        return asyncio.run(Rebuild(settings, progress).run())
    return asyncio.run(_run_parallel(settings, progress, processes))


async def _run_parallel(
    settings: Settings, progress: Progress | None, processes: int
) -> RebuildReport:
    coordinator = Rebuild(settings, progress)
    redis: Redis = Redis.from_url(settings.require_redis())
    try:
        previous, generation = await coordinator._new_generation(redis)
        partitions = await _end_offsets(coordinator)
        shares = [sorted(partitions)[i::processes] for i in range(processes)]
        groups = [share for share in shares if share]
        starts: dict[int, int] = {}
        try:
            await _phases(settings, coordinator, generation, redis, groups, starts)
        except BaseException:
            live = int(await redis.get(coordinator.keys.generation_pointer) or 0)
            if live != generation:  # failed before its swap
                await coordinator._give_back(redis, generation)
            raise
        await coordinator._drop_generations(redis, keep=generation)
        return RebuildReport(
            generation,
            previous,
            coordinator.events,
            coordinator.invalid,
            coordinator.unaggregatable,
        )
    finally:
        await redis.aclose()


async def _phases(
    settings: Settings,
    coordinator: Rebuild,
    generation: int,
    redis: Redis,
    groups: list[list[int]],
    starts: dict[int, int],
) -> None:
    """Catch up twice, swap, catch up once more: each phase over every share at once."""
    own, *others = groups  # this process rebuilds the first share itself
    # (no other share: more processes asked for than partitions; the pool stays idle)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, len(others)), mp_context=context) as pool:
        for phase in range(3):
            if phase == 2:
                await redis.set(coordinator.keys.generation_pointer, generation)
            targets = await _end_offsets(coordinator)
            jobs = [
                asyncio.wrap_future(
                    pool.submit(
                        _rebuild_share,
                        _portable(settings),
                        generation,
                        phase < 2,
                        *_share_args(g, starts, targets),
                    )
                )
                for g in others
            ]
            mine = _share(settings, generation, phase < 2, *_share_args(own, starts, targets))
            results = await asyncio.gather(mine, *jobs)
            for positions, events, invalid, unaggregatable in results:
                starts.update(positions)
                coordinator.events += events
                coordinator.invalid += invalid
                coordinator.unaggregatable += unaggregatable
            coordinator.progress(sum(starts.values()), sum(targets.values()))


async def _end_offsets(rebuild: Rebuild) -> dict[int, int]:
    consumer = await rebuild._consumer()
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


def _share_args(
    group: list[int], starts: dict[int, int], targets: dict[int, int]
) -> tuple[list[int], dict[int, int], dict[int, int]]:
    """A share's partitions, where each starts and the end offsets to reach."""
    return group, {p: starts[p] for p in group if p in starts}, {p: targets[p] for p in group}


def _portable(settings: Settings) -> dict[str, Any]:
    values = settings.model_dump(mode="json")
    values["pseudonym_key"] = settings.pseudonym_key.get_secret_value()
    return values


def _rebuild_share(
    values: dict[str, Any],
    generation: int,
    before_swap: bool,
    partitions: list[int],
    starts: dict[int, int],
    targets: dict[int, int],
) -> tuple[dict[int, int], int, int, int]:
    """In a child process: apply ``partitions`` from ``starts`` up to ``targets``."""
    tune_gc()
    return asyncio.run(
        _share(Settings(**values), generation, before_swap, partitions, starts, targets)
    )


async def _share(
    settings: Settings,
    generation: int,
    before_swap: bool,
    partitions: list[int],
    starts: dict[int, int],
    targets: dict[int, int],
) -> tuple[dict[int, int], int, int, int]:
    """Apply ``partitions`` from ``starts`` up to ``targets`` (planning ahead before the
    generation swap, while this process is the only writer of its records there)."""
    rebuild = Rebuild(settings, partitions=partitions)
    redis: Redis = Redis.from_url(settings.require_redis())
    writer = writer_for(redis, settings)
    ahead = writer.ahead(generation, is_unavailable) if before_swap else None
    if not starts:  # the first phase: a rolled broker's prefix comes from the archive
        starts = await rebuild.replay_archive(writer, generation, ahead)
    consumer = await rebuild._consumer(starts)
    try:
        goal = {tp: targets[tp.partition] for tp in consumer.assignment()}
        await rebuild._catch_up(consumer, writer, generation, goal, ahead)
        positions = {tp.partition: await consumer.position(tp) for tp in consumer.assignment()}
        return positions, rebuild.events, rebuild.invalid, rebuild.unaggregatable
    finally:
        await consumer.stop()
        await redis.aclose()
