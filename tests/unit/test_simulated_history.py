"""Unit tests of the simulated history: spans, its plan (span, rate, rhythm), its messages
(in the past, in arrival order, the live mix of labels) and the rules of `safer up`."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cli.common import span_argument
from cli.main import build_parser
from cli.stack.history import HistoryRequest, check_size, counted, history_json, history_span
from cli.status import history_text
from feeds.raw import RawMessage
from feeds.simulator.generator import Simulator
from feeds.simulator.history import HistoryPlan, expected_messages, history_batches, plan_history
from geography.areas import load_areas
from safer.errors import ConfigError
from safer.spans import parse_span
from schemas.calendar import hour_of_week, local
from schemas.codec import decode_incident
from schemas.events import IncidentEvent
from store.simulated import SimulatedHistory

END = datetime(2018, 6, 20, 14, 37, 12, tzinfo=UTC)  # a Wednesday afternoon, mid-hour
EIGHT_WEEKS = timedelta(weeks=8)


class FakeClock:
    """A clock the test advances by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def make_simulator(**overrides: Any) -> Simulator:
    return Simulator(load_areas(), **({"seed": 11} | overrides))


def messages_of(plan: HistoryPlan, simulator: Simulator) -> list[RawMessage]:
    return [m for batch in history_batches(simulator, plan) for m in batch]


def decoded(messages: list[RawMessage]) -> list[tuple[RawMessage, IncidentEvent]]:
    return [(m, decode_incident(m.value)) for m in messages if m.label != "malformed"]


@pytest.fixture(scope="module")
def two_weeks() -> tuple[HistoryPlan, list[RawMessage]]:
    """Two weeks of history at 0.02 messages/s (about 24,000), seed 11."""
    simulator = make_simulator()
    plan = plan_history(simulator, 0.02, timedelta(weeks=2), END)
    return plan, messages_of(plan, simulator)


# --- spans ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"), [("0", 0), ("30d", 30), ("12w", 84), ("2y", 730), ("8W", 56), (" 1d ", 1)]
)
def test_spans_are_days_weeks_or_years(text: str, days: int) -> None:
    """0, 30d, 12w and 2y (a year of 365 days) are spans, in any case."""
    assert parse_span(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["", "8", "1.5w", "-1d", "3x", "1y2w", "08w", "w", "123456d"])
def test_anything_else_is_refused_in_one_line(text: str) -> None:
    """A span that is not 0 or a whole number of d/w/y is refused, saying what is accepted."""
    with pytest.raises(ValueError, match="30d, 12w or 2y") as error:
        parse_span(text)
    assert "\n" not in str(error.value)
    with pytest.raises(argparse.ArgumentTypeError):
        span_argument(text)


def test_safer_up_refuses_a_bad_history_as_a_command_line_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`safer up --history 3x` exits 2 with argparse's error line naming --history."""
    with pytest.raises(SystemExit) as exit_code:
        build_parser().parse_args(["up", "--history", "3x"])
    assert exit_code.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument --history" in error
    assert "30d, 12w or 2y" in error


# --- the plan: span and rate ------------------------------------------------------------------


def test_plan_covers_the_span_up_to_its_end_in_hour_steps() -> None:
    """Steps tile [end - span, end) without gap, each within one whole clock hour."""
    plan = plan_history(make_simulator(), 0.03, timedelta(days=3), END)
    assert (plan.start, plan.end) == (END - timedelta(days=3), END)
    assert plan.steps[0].start == plan.start
    assert plan.steps[-1].end == plan.end
    for before, after in zip(plan.steps, plan.steps[1:], strict=False):
        assert before.end == after.start
        assert after.start.minute == after.start.second == 0
    assert all(step.end - step.start <= timedelta(hours=1) for step in plan.steps)
    assert len(plan.steps) == 3 * 24 + 1  # the first and last steps are part-hours


def test_plan_has_the_rate_as_its_weekly_mean() -> None:
    """Over whole weeks the plan holds rate x span messages (within 1 %), however the rhythm
    shapes its hours."""
    plan = plan_history(make_simulator(), 0.03, EIGHT_WEEKS, END)
    assert plan.messages == pytest.approx(0.03 * EIGHT_WEEKS.total_seconds(), rel=0.01)
    assert expected_messages(0.03, EIGHT_WEEKS) == 145_152


def test_plan_matches_what_the_live_feed_sends_over_the_same_time() -> None:
    """The history has the live feed's rate and rhythm: a week of the live stream (a tick a
    minute, follow_rhythm) sends, hour by hour, what the plan puts in that hour."""
    simulator, week = make_simulator(), timedelta(weeks=1)
    plan = plan_history(make_simulator(), 0.01, week, END)
    clock = FakeClock(END - week)
    ticks = simulator.stream(0.01, clock, follow_rhythm=True)
    next(ticks)
    live: Counter[datetime] = Counter()
    while clock.now < END:
        clock.now += timedelta(minutes=1)
        live[_hour(clock.now - timedelta(seconds=1))] += len(next(ticks))
    planned = Counter({_hour(step.start): step.messages for step in plan.steps})
    assert sum(live.values()) == pytest.approx(plan.messages, rel=0.01)
    assert max(abs(planned[hour] - live[hour]) for hour in live) <= 4


def test_plan_follows_the_weekly_rhythm() -> None:
    """Friday 20:00 local gets several times the messages of Tuesday 04:00 local."""
    plan = plan_history(make_simulator(), 0.05, EIGHT_WEEKS, END)
    by_hour: Counter[int] = Counter()
    for step in plan.steps:
        by_hour[hour_of_week(step.start)] += step.messages
    friday_evening, tuesday_small_hours = 4 * 24 + 20, 1 * 24 + 4
    assert by_hour[friday_evening] > 4 * by_hour[tuesday_small_hours] > 0


def test_a_plan_needs_an_aware_end() -> None:
    """A naive end is refused (all times are UTC-aware)."""
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_history(make_simulator(), 0.03, timedelta(days=1), datetime(2018, 6, 20))


# --- the messages --------------------------------------------------------------------------


def test_messages_are_those_planned(two_weeks: tuple[HistoryPlan, list[RawMessage]]) -> None:
    """As many messages as the plan counts, each step's batch its own count."""
    plan, messages = two_weeks
    assert len(messages) == plan.messages > 20_000


def test_event_times_lie_in_the_past_and_arrive_in_order(
    two_weeks: tuple[HistoryPlan, list[RawMessage]],
) -> None:
    """Every message arrives within the span, before its end; new versions arrive in time
    order, as the live feed sends them (a duplicate repeats an earlier message)."""
    plan, messages = two_weeks
    arrivals = [e.time for m, e in decoded(messages) if m.label != "duplicate"]
    assert arrivals == sorted(arrivals)
    assert plan.start <= arrivals[0]
    assert arrivals[-1] <= plan.end
    for _, event in decoded(messages):
        occurred = event.data.occurred
        assert (occurred.end or occurred.start) <= event.data.received_at <= event.time <= END


def test_messages_carry_the_live_mix_of_labels(
    two_weeks: tuple[HistoryPlan, list[RawMessage]],
) -> None:
    """2 % duplicates, 3 % corrections and cancellations and 1 % malformed, as live."""
    _, messages = two_weeks
    share = {label: n / len(messages) for label, n in Counter(m.label for m in messages).items()}
    assert share["duplicate"] == pytest.approx(0.02, abs=0.005)
    assert share["correction"] + share["cancellation"] == pytest.approx(0.03, abs=0.006)
    assert share["malformed"] == pytest.approx(0.01, abs=0.003)


def test_occurrences_follow_the_rhythm(two_weeks: tuple[HistoryPlan, list[RawMessage]]) -> None:
    """Incidents occur more in local evenings (18-23) than in the small hours (03-06)."""
    _, messages = two_weeks
    hours = Counter(local(e.data.occurred.start).hour for m, e in decoded(messages))
    assert sum(hours[h] for h in range(18, 23)) > 3 * sum(hours[h] for h in range(3, 6))


# --- the rules of `safer up` -----------------------------------------------------------------


def test_real_police_data_or_no_simulator_mean_no_history_unless_asked() -> None:
    """Default 8 weeks; none beside --police-data or with --no-simulator; --history wins."""
    default, asked = EIGHT_WEEKS, timedelta(days=30)
    assert history_span(None, default, simulator=True, police_data=False) == default
    assert history_span(None, default, simulator=True, police_data=True) == timedelta(0)
    assert history_span(None, default, simulator=False, police_data=False) == timedelta(0)
    assert history_span(asked, default, simulator=True, police_data=True) == asked
    assert history_span(timedelta(0), default, simulator=True, police_data=False) == timedelta(0)


def test_a_history_over_the_limit_is_refused_with_its_figures() -> None:
    """8 weeks at 30/s (145 million) is refused in one line; at the default rate it passes."""
    with pytest.raises(ConfigError, match=r"about 145,152,000 events, over .*3,000,000") as error:
        check_size(HistoryRequest(EIGHT_WEEKS, 30.0), 3_000_000)
    assert "\n" not in str(error.value)
    check_size(HistoryRequest(EIGHT_WEEKS, 0.03), 3_000_000)


def test_counted_is_what_the_worker_stored_of_the_acknowledged_offsets() -> None:
    """Per partition, stored offsets count from the first acknowledged one up to the last."""
    acked = {("raw.police", 0): (0, 9), ("raw.police", 1): (5, 14), ("raw.fire", 0): (0, 4)}
    assert counted(acked, {}) == 0
    stored = {("raw.police", 0): 3, ("raw.police", 1): 20, ("other", 0): 99}
    assert counted(acked, stored) == 4 + 10
    assert counted(acked, {**stored, ("raw.fire", 0): 4, ("raw.police", 0): 9}) == 25


def test_status_names_the_history_from_redis_or_else_the_stack_file() -> None:
    """`safer status` says how many simulated messages and from when to when (UK time),
    from the Redis marker, else from the stack file; 'none' without either."""
    history = SimulatedHistory(END - EIGHT_WEEKS, END, 145_147, 0.03)
    text = history_text(history, {})
    assert text.startswith("145,147 simulated messages arriving from 2018-04-25 15:37 to ")
    assert "2018-06-20 15:37 UK time" in text
    assert "not real incidents" in text
    assert history_text(None, {"simulated_history": history_json(history)}) == text
    assert history_text(None, {"simulated_history": None}) == "none"
