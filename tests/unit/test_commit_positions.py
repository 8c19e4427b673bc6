"""The worker's consumer commits only what the jobs processed (``streams.transport``,
``streams.batching``).

faust acknowledges the messages it skips while its flow is suspended (a crash being handled,
a rebalance); stock faust then commits over an unprocessed message at the committed position,
and over anything before the first commit. These tests drive the worker's real faust
consumer (not started: commits are computed, not sent) through those acknowledgements.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import faust
import pytest
from aiokafka.structs import ConsumerRecord
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.types.tuples import Message

from streams import batching, transport

TOPIC = "raw.police"
TP0, TP1 = TP(TOPIC, 0), TP(TOPIC, 1)


@pytest.fixture
def consumer() -> transport._Consumer:
    app = faust.App("commit-test", broker=f"{transport.SCHEME}://127.0.0.1:1")
    app.topics._acking_topics.add(TOPIC)  # what subscribing the agent's topic does
    consumer = app.consumer
    assert isinstance(consumer, transport._Consumer)
    return consumer


def _message(tp: TP, offset: int) -> Message:
    return Message(tp.topic, tp.partition, offset, 0.0, 0, {}, None, b"{}", None)


def _skipped(consumer: transport._Consumer, tp: TP, offsets: range) -> None:
    """What faust does with messages it pulls while its flow is suspended: acknowledge them."""
    for offset in offsets:
        assert consumer.ack(_message(tp, offset))


def test_skipped_messages_after_an_unprocessed_one_are_not_committed(
    consumer: transport._Consumer,
) -> None:
    consumer._committed_offset[TP0] = 100  # offset 100 is in the batch that failed
    _skipped(consumer, TP0, range(101, 111))
    assert consumer._filter_committable_offsets([TP0]) == {}


def test_nothing_is_committed_before_the_first_batch_is_processed(
    consumer: transport._Consumer,
) -> None:
    _skipped(consumer, TP0, range(5, 10))  # no commit yet: offsets 0-4 unprocessed
    assert consumer._filter_committable_offsets([TP0]) == {}


def test_commit_follows_processed_batches_per_partition(consumer: transport._Consumer) -> None:
    consumer._committed_offset[TP0] = 100
    _skipped(consumer, TP0, range(106, 111))
    batch = [_message(TP0, o) for o in (100, 101, 102, 103, 104, 105)] + [
        _message(TP1, o) for o in (7, 9, 8)
    ]
    for message in batch:
        consumer.ack(message)
    transport.mark_processed(consumer, batch)
    assert consumer._filter_committable_offsets([TP0, TP1]) == {TP0: 106, TP1: 10}
    # faust's own record of acknowledgements is trimmed, not left to grow
    assert sorted(consumer._acked[TP0]) == list(range(106, 111))
    # an older batch marked late never moves the position back
    transport.mark_processed(consumer, [_message(TP0, 50)])
    consumer._committed_offset[TP0] = 100
    assert consumer._filter_committable_offsets([TP0]) == {TP0: 106}


# --- whole fetched batches (the worker's job takes its topics' records as fetched) --------

OTHER = "raw.other"


def _record(tp: TP, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(tp.topic, tp.partition, offset, 1_000, 0, b"k", b"{}", None, 1, 2, [])


def _fetch_returns(
    monkeypatch: pytest.MonkeyPatch, records: dict[TP, list[ConsumerRecord[bytes, bytes]]]
) -> None:
    """What faust's consumer thread hands back from one fetch (the broker is not needed to
    decide what is diverted; the integration tests run the real fetch path)."""

    async def fetched(self: object, timeout: float) -> tuple[object, None]:  # noqa: ASYNC109
        return dict(records), None

    monkeypatch.setattr(faust_aiokafka.Consumer, "_wait_next_records", fetched)


def _diverting(consumer: transport._Consumer) -> transport.FetchedBatches:
    return consumer.divert({TOPIC})


async def test_a_diverted_topic_reaches_the_job_whole_and_faust_only_the_rest(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _diverting(consumer)
    other = TP(OTHER, 0)
    _fetch_returns(
        monkeypatch,
        {
            TP0: [_record(TP0, o) for o in range(5)],
            TP1: [_record(TP1, 9)],
            other: [_record(other, 3)],
        },
    )
    kept, _ = await consumer._wait_next_records(1.0)
    assert list(kept) == [other]  # faust's per-message path sees only the other topic
    taken = await batches.take(100)
    assert [(m.tp, m.offset) for m in taken] == [(TP0, o) for o in range(5)] + [(TP1, 9)]
    assert taken[0].timestamp == 1.0  # faust messages: broker time in seconds
    assert taken[0].value == b"{}"
    batches.processed(taken)
    assert consumer._filter_committable_offsets(consumer._filter_tps_with_pending_acks()) == {
        TP0: 5,
        TP1: 10,
    }


async def test_a_fetch_larger_than_a_batch_is_taken_in_batches_in_order(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _diverting(consumer)
    _fetch_returns(monkeypatch, {TP0: [_record(TP0, o) for o in range(7)]})
    await consumer._wait_next_records(1.0)
    await consumer._wait_next_records(1.0)  # the same offsets again: kept, never reordered
    sizes, offsets = [], []
    for _ in range(4):
        taken = await batches.take(4)
        sizes.append(len(taken))
        offsets += [m.offset for m in taken]
        batches.processed(taken)
    assert sizes == [4, 4, 4, 2]
    assert offsets == [*range(7), *range(7)]


async def test_batches_fetched_before_a_rebalance_are_dropped_not_processed(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """faust seeks every partition back to its committed offset after a rebalance, so what
    was fetched under the old assignment is read again; processing it too could commit over
    nothing, but dropping it loses nothing."""
    batches = _diverting(consumer)
    _fetch_returns(monkeypatch, {TP0: [_record(TP0, o) for o in range(3)]})
    await consumer._wait_next_records(1.0)
    consumer.app.consumer_generation_id += 1  # a rebalance happened
    _fetch_returns(monkeypatch, {TP0: [_record(TP0, 0)]})
    await consumer._wait_next_records(1.0)
    assert [m.offset for m in await batches.take(100)] == [0]
    consumer.stop_flow()  # e.g. a rebalance starting: nothing fetched now is handed on
    await consumer._wait_next_records(1.0)
    assert batches._queue.empty()


async def test_a_rebalance_waits_for_the_batch_in_hand(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _diverting(consumer)
    _fetch_returns(monkeypatch, {TP0: [_record(TP0, 0)]})
    committed: list[dict[TP, int]] = []

    async def faust_commits(self: transport._Consumer) -> None:  # what faust's wait_empty ends with
        committed.append(self._filter_committable_offsets(self._filter_tps_with_pending_acks()))

    monkeypatch.setattr(faust_aiokafka.Consumer, "wait_empty", faust_commits)
    await consumer._wait_next_records(1.0)
    taken = await batches.take(10)
    waiting = asyncio.ensure_future(consumer.wait_empty())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # faust would commit and hand the partition over now
    assert not committed
    batches.processed(taken)
    await asyncio.wait_for(waiting, 5)
    assert committed == [{TP0: 1}]


# --- the job's two overlapping phases (streams.batching) ----------------------------------


async def _fetch(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch, offsets: range
) -> None:
    _fetch_returns(monkeypatch, {TP0: [_record(TP0, o) for o in offsets]})
    await consumer._wait_next_records(1.0)


async def _as_is(routed: object) -> object:
    return routed


async def test_the_next_batch_is_routed_while_the_previous_is_stored_and_planned_after(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _diverting(consumer)
    for start in (0, 2, 4):
        await _fetch(consumer, monkeypatch, range(start, start + 2))
    log: list[str] = []
    release = asyncio.Event()
    done = asyncio.Event()

    async def route(messages: Sequence[Message]) -> list[int]:
        log.append(f"route {messages[0].offset}")
        return [m.offset for m in messages]

    async def prepare(offsets: list[int]) -> list[int]:
        log.append(f"plan {offsets[0]}")
        return offsets

    async def store(offsets: list[int]) -> None:
        log.append(f"store {offsets[0]}")
        if offsets[0] == 0:
            await release.wait()  # Redis is slow with the first batch
        log.append(f"stored {offsets[0]}")
        if offsets[0] == 4:
            done.set()

    job = asyncio.ensure_future(batching.process_batches(batches, 2, route, prepare, store))
    await asyncio.sleep(0.05)
    # batch 2-3 is routed while batch 0-1 is being stored, but not planned before it is stored
    assert log == ["route 0", "plan 0", "store 0", "route 2"]
    assert consumer._positions == {}  # nothing committable before its effects are stored
    release.set()
    await asyncio.wait_for(done.wait(), 5)
    await asyncio.sleep(0)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert log[4:] == [
        "stored 0",
        "plan 2",
        "store 2",
        "stored 2",
        "route 4",
        "plan 4",
        "store 4",
        "stored 4",
    ]
    assert consumer._positions == {TP0: 6}


async def test_a_failed_store_ends_the_job_with_nothing_in_hand_or_marked(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis goes away while batch 2-3 is stored and batch 4-5 is being routed: the job
    raises (the worker restarts), both are put down unmarked (so a rebalance or shutdown
    does not wait for them for ever) and only batch 0-1 is committable."""
    batches = _diverting(consumer)
    for start in (0, 2, 4):
        await _fetch(consumer, monkeypatch, range(start, start + 2))

    async def route(messages: Sequence[Message]) -> int:
        return int(messages[0].offset)

    async def store(first: int) -> None:
        if first == 2:
            raise ConnectionError("Redis went away")

    with pytest.raises(ConnectionError):
        await asyncio.wait_for(batching.process_batches(batches, 2, route, _as_is, store), 5)
    await asyncio.wait_for(batches.wait_idle(), 1)
    assert consumer._positions == {TP0: 2}


async def test_a_failed_store_is_raised_without_waiting_for_more_traffic(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = _diverting(consumer)
    await _fetch(consumer, monkeypatch, range(2))

    async def route(messages: Sequence[Message]) -> None:
        return None

    async def store(_: None) -> None:
        await asyncio.sleep(0.05)
        raise ConnectionError("Redis went away")

    with pytest.raises(ConnectionError):  # no further batch ever arrives
        await asyncio.wait_for(batching.process_batches(batches, 10, route, _as_is, store), 5)
    await asyncio.wait_for(batches.wait_idle(), 1)
    assert consumer._positions == {}


async def test_a_job_stopped_while_storing_holds_no_batch_after(
    consumer: transport._Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shutdown cancels the job while it waits for the next batch: nothing it started may
    take a batch later and hold it (faust's shutdown waits for the batches in hand)."""
    batches = _diverting(consumer)
    await _fetch(consumer, monkeypatch, range(2))

    async def route(messages: Sequence[Message]) -> None:
        return None

    async def store(_: None) -> None:
        await asyncio.sleep(30)  # Redis is slow

    job = asyncio.ensure_future(batching.process_batches(batches, 10, route, _as_is, store))
    await asyncio.sleep(0.05)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    await _fetch(consumer, monkeypatch, range(2, 4))  # arrives after the job stopped
    await asyncio.sleep(0.05)
    await asyncio.wait_for(batches.wait_idle(), 1)
    assert consumer._positions == {}
