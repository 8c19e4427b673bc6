"""Restart pacing of the local-stack supervisor."""

from __future__ import annotations

from cli.stack.health import Backoff


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _restart(backoff: Backoff, clock: FakeClock) -> float:
    """Advance the clock until a restart is due; return the delay waited."""
    while (delay := backoff.next_delay()) is None:
        clock.now += 0.5
    return delay


def test_crash_loop_backs_off_exponentially_to_thirty_seconds():
    """A component that keeps exiting at once is restarted after 1, 2, 4 … 30 s."""
    clock = FakeClock()
    backoff = Backoff(clock=clock)
    backoff.next_delay()  # the first exit schedules the first restart
    delays = [_restart(backoff, clock)]
    delays += [_restart(backoff, clock) for _ in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_long_healthy_run_resets_the_backoff():
    """After more than a minute up, the next restart comes after 1 s again."""
    clock = FakeClock()
    backoff = Backoff(clock=clock)
    for _ in range(4):
        _restart(backoff, clock)
    clock.now += 120
    assert _restart(backoff, clock) == 1.0
