"""The worker's consumer commits only what the jobs processed (``streams.transport``).

faust acknowledges the messages it skips while its flow is suspended (a crash being handled,
a rebalance); stock faust then commits over an unprocessed message at the committed position,
and over anything before the first commit. These tests drive the worker's real faust
consumer (not started: commits are computed, not sent) through those acknowledgements.
"""

from __future__ import annotations

import faust
import pytest
from faust.types import TP
from faust.types.tuples import Message

from streams import transport

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
