"""At-least-once batches for faust agents, in overlapping steps.

A job takes its topics' records as the consumer fetched them (``streams.transport``:
faust's per-message stream machinery would cost more than the processing) and marks a
batch processed only after its effects are stored; commits follow what was marked, never
faust's acknowledgements. When processing raises, nothing more is marked, the agent
crashes the worker (``CrashingSupervisor``), and what was not marked is delivered again on
restart.

A batch goes through three steps: ``route`` (work that depends on nothing stored, e.g.
validating and publishing), ``prepare`` (work that reads what the previous batches stored,
e.g. planning Redis effects from the records' states: it starts once the previous batch is
stored) and ``store`` (writing the effects, in the background). The next batch is routed
while the previous one is being stored, so the CPU work of one overlaps the Redis round
trip of the other; ``prepare`` and ``store`` run in the order the batches were taken, and a
batch is prepared only after every earlier batch is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from streams.transport import FetchedBatches

Routed = TypeVar("Routed")
Prepared = TypeVar("Prepared")


async def process_batches(
    batches: FetchedBatches,
    batch_size: int,
    route: Callable[[Sequence[Any]], Awaitable[Routed]],
    prepare: Callable[[Routed], Awaitable[Prepared]],
    store: Callable[[Prepared], Awaitable[None]],
) -> None:
    """For ever: take a batch of faust ``Message``s, ``route`` it, ``prepare`` what routing
    returned once the previous batch is stored, then ``store`` that in the background while
    the next batch is routed. Every batch taken ends processed or, when anything fails,
    abandoned (a rebalance or shutdown waits for that)."""
    storing: asyncio.Future[None] | None = None
    try:
        while True:
            messages = await _take(batches, batch_size, storing)
            try:
                routed = await route(messages)
                if storing is not None:
                    await storing  # the previous batch's effects first (raises if they failed)
                prepared = await prepare(routed)
            except BaseException:
                batches.abandoned()
                raise
            storing = asyncio.ensure_future(_store(batches, messages, store, prepared))
    finally:
        if storing is not None and not storing.done():
            storing.cancel()


async def _store(
    batches: FetchedBatches,
    messages: Sequence[Any],
    store: Callable[[Prepared], Awaitable[None]],
    prepared: Prepared,
) -> None:
    try:
        await store(prepared)
    except BaseException:
        batches.abandoned()
        raise
    batches.processed(messages)


async def _take(
    batches: FetchedBatches, max_messages: int, storing: asyncio.Future[None] | None
) -> list[Any]:
    """The next batch; a failure of the batch being stored is raised at once, not when the
    next batch arrives (there may be none for a long time)."""
    if storing is None or storing.done():
        if storing is not None:
            storing.result()
        return await batches.take(max_messages)
    taking = asyncio.ensure_future(batches.take(max_messages))
    try:
        await asyncio.wait((taking, storing), return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # the job is stopping: no take may outlive it holding a batch
        _put_back(batches, taking)
        raise
    if storing.done() and storing.exception() is not None:
        _put_back(batches, taking)
        storing.result()
    return await taking


def _put_back(batches: FetchedBatches, taking: asyncio.Future[list[Any]]) -> None:
    """Cancel a take; if it already had a batch, put that down unprocessed (a take changes
    nothing until its queue wait returns, so a cancelled one holds nothing)."""
    taking.cancel()

    def settle(future: asyncio.Future[list[Any]]) -> None:
        if not future.cancelled() and future.exception() is None:
            batches.abandoned()

    taking.add_done_callback(settle)
