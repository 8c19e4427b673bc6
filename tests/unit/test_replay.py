"""Replaying history in event-time order at N times real time (``feeds.publish.replay``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from feeds.publish.replay import Replay

T0 = datetime(2018, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    at: datetime
    name: str


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_events_go_out_in_time_order_at_the_replay_pace() -> None:
    """At 3,600x an hour of history takes a second; simultaneous events share a wave."""
    fake = FakeTime()
    items = [
        Item(T0 + timedelta(hours=3), "d"),
        Item(T0, "a"),
        Item(T0 + timedelta(hours=1), "b"),
        Item(T0 + timedelta(hours=1), "c"),
    ]
    sent: list[tuple[float, list[str]]] = []
    waves = Replay(3600, clock=fake.clock, sleep=fake.sleep).run(
        items, lambda due: sent.append((fake.now - 100.0, [i.name for i in due]))
    )
    assert waves == 3
    assert sent == [(0.0, ["a"]), (1.0, ["b", "c"]), (3.0, ["d"])]


def test_long_lulls_are_cut_short() -> None:
    """Ten days at 3,600x would be 240 s of nothing: the wait is capped (5 s)."""
    fake = FakeTime()
    items = [Item(T0, "a"), Item(T0 + timedelta(days=10), "b")]
    times: list[float] = []
    Replay(3600, clock=fake.clock, sleep=fake.sleep).run(
        items, lambda due: times.append(fake.now - 100.0)
    )
    assert times == [0.0, 5.0]


def test_a_slow_publisher_catches_up_in_bigger_waves() -> None:
    """When sending takes longer than the pace, everything already due goes together."""
    fake = FakeTime()
    items = [Item(T0 + timedelta(seconds=i), str(i)) for i in range(10)]
    sizes: list[int] = []

    def slow(due: list[Item]) -> None:
        sizes.append(len(due))
        fake.now += 3.0  # each publish takes 3 s; events are 1 s apart at 1x

    Replay(1, clock=fake.clock, sleep=fake.sleep).run(items, slow)
    assert sum(sizes) == 10
    assert sizes[0] == 1
    assert max(sizes) >= 3


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Replay(0)
