"""The spike model against hand-worked figures: the down-weighted level, tail
probabilities, the dispersion estimate, Benjamini-Hochberg and the windows."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from alerts.groups import DEFAULT_GROUPS, group_counts, parse_groups
from alerts.model import (
    WEEK,
    AreaHistory,
    ModelConfig,
    SpikeTest,
    adjust,
    blended,
    dispersion,
    expected,
    level_of,
    share,
    span_at,
    upper_tail,
    week_spans,
    window_tests,
)
from safer.errors import ConfigError


def test_a_week_far_above_the_rest_is_down_weighted() -> None:
    """Seven weeks of 10 and one of 40: mean 13.75; the 40's Anscombe residual is
    1.5 (40^(2/3) - 13.75^(2/3)) / 13.75^(1/6) = 5.773 > 2.58, so it weighs
    (2.58 / 5.773)^2 = 0.1998 and the level is (70 + 0.1998 * 40) / 7.1998 = 10.83."""
    assert level_of([10] * 7 + [40]) == pytest.approx(10.832, abs=1e-3)
    assert level_of([10, 12, 9, 11]) == pytest.approx(10.5)  # nothing unusual: the mean
    assert level_of([0] * 8) == pytest.approx(0.5 / 8)  # half an incident in 8 weeks


def _poisson_tail(x: int, mean: float) -> float:
    return 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(x))


def _nb_tail(x: int, mean: float, phi: float) -> float:
    size = 1 / phi
    p = size / (size + mean)

    def pmf(k: int) -> float:
        return math.exp(
            math.lgamma(k + size)
            - math.lgamma(size)
            - math.lgamma(k + 1)
            + size * math.log(p)
            + k * math.log(1 - p)
        )

    return 1 - sum(pmf(k) for k in range(x))


def test_tail_probabilities() -> None:
    """14 against 3.1 expected: Poisson 4.9e-6; with over-dispersion 0.5 far likelier."""
    assert upper_tail(14, 3.1, 0.0) == pytest.approx(_poisson_tail(14, 3.1), rel=1e-6)
    assert upper_tail(14, 3.1, 0.0) == pytest.approx(4.91e-6, rel=1e-3)
    assert upper_tail(14, 3.1, 0.5) == pytest.approx(_nb_tail(14, 3.1, 0.5), rel=1e-6)
    assert upper_tail(14, 3.1, 0.5) > 1000 * upper_tail(14, 3.1, 0.0)
    assert upper_tail(0, 3.1, 0.5) == 1.0
    assert upper_tail(3, 0.0, 0.5) == 0.0


def test_dispersion_is_zero_for_poisson_counts_and_found_for_negative_binomial() -> None:
    rng = random.Random(7)
    mean = 4.0

    def poisson_draw() -> int:
        k, threshold, product = 0, math.exp(-mean), rng.random()
        while product > threshold:
            k += 1
            product *= rng.random()
        return k

    poissons = [([poisson_draw() for _ in range(8)], mean) for _ in range(400)]
    assert dispersion(poissons, 0.0) == pytest.approx(0.0, abs=0.03)
    phi = 0.5  # a gamma-mixed Poisson: variance mean + 0.5 mean^2
    mixed = []
    for _ in range(400):
        past = []
        for _ in range(8):
            rate = rng.gammavariate(1 / phi, phi * mean)
            k, threshold, product = 0, math.exp(-rate), rng.random()
            while product > threshold:
                k += 1
                product *= rng.random()
            past.append(k)
        mixed.append((past, mean))
    assert dispersion(mixed, 0.0) == pytest.approx(phi, abs=0.08)
    assert dispersion(poissons, 0.05) == pytest.approx(0.05, abs=0.03)  # the floor


def _test(p: float, observed: int = 10) -> SpikeTest:
    return SpikeTest("ward", "E1", "all", "hour", observed, 2.0, 1.5, 0.1, p)


def test_benjamini_hochberg_by_hand() -> None:
    """Sorted 0.005, 0.01, 0.03, 0.04 of 4 tests: adjusted 0.02, 0.02, 0.04, 0.04."""
    found = adjust([_test(0.01), _test(0.04), _test(0.03), _test(0.005)], ModelConfig(fdr=0.03))
    assert [t.p_adjusted for t in found] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert [t.flagged for t in found] == [True, False, False, True]
    few = adjust([_test(1e-9, observed=4)], ModelConfig(min_observed=5))
    assert not few[0].flagged  # too few incidents, however unlikely


def test_windows_end_with_the_current_hour_as_it_fills() -> None:
    now = datetime(2026, 12, 4, 21, 30, tzinfo=UTC)
    hour, day = span_at("hour", now), span_at("day", now)
    end = int(datetime(2026, 12, 4, 22, tzinfo=UTC).timestamp()) // 3600
    assert (hour.start, hour.end, hour.fraction) == (end - 2, end, 0.5)
    assert (day.start, day.end) == (end - 24, end)
    uniform = [1 / WEEK] * WEEK
    assert share(uniform, hour) == pytest.approx(1.5 / WEEK)
    assert share(uniform, day, 1.0) == pytest.approx(24 / WEEK)
    weeks = week_spans(now, 8)
    assert weeks[0] == (end - 2 * WEEK, end - WEEK)  # the last 7 days are the guard band
    assert weeks[-1] == (end - 9 * WEEK, end - 8 * WEEK)


def test_the_window_expects_only_what_should_have_arrived() -> None:
    """At 21:30 with records arriving uniformly over 2 hours (F(lag) = lag / 2): the share
    received is the integral of F over the 1.5 hours elapsed, 1.5^2 / 4 = 0.5625 hours of a
    uniform week, against 1.5 hours with no delay."""
    now = datetime(2026, 12, 4, 21, 30, tzinfo=UTC)
    hour = span_at("hour", now)
    uniform = [1 / WEEK] * WEEK
    assert share(uniform, hour, arrived=lambda lag: min(lag / 2, 1.0)) == pytest.approx(
        0.5625 / WEEK
    )
    assert share(uniform, hour, arrived=lambda lag: 1.0) == pytest.approx(share(uniform, hour))
    history = AreaHistory(weekly=[168] * 8, past=[2] * 8, profile=[1.0] * WEEK)
    slow = expected(history, uniform, hour, 300.0, lambda lag: min(lag / 2, 1.0))
    assert (slow.mean, slow.full) == pytest.approx((0.5625, 2.0))  # the past windows: whole


def test_a_quiet_area_borrows_the_partnerships_rhythm() -> None:
    pooled = [2.0 if h < 84 else 0.0 for h in range(WEEK)]  # all in the first half-week
    own = [0.0] * WEEK
    own[100] = 3.0  # three incidents, all at hour 100
    shares = blended(own, pooled, prior=300)
    assert sum(shares) == pytest.approx(1.0)
    assert shares[100] == pytest.approx(3 / 303)
    assert shares[0] == pytest.approx(300 / 303 / 84)


def test_a_surging_area_is_flagged_and_the_rest_are_not() -> None:
    now = datetime(2026, 12, 4, 21, 30, tzinfo=UTC)
    span = span_at("hour", now)
    flat = [10.0] * WEEK
    histories = {
        f"W{i}": AreaHistory(weekly=[168] * 8, past=[2, 2, 1, 3, 2, 2, 1, 3], profile=flat)
        for i in range(20)
    }  # one an hour: 1.5 expected in the window so far (the past windows held 2 of 2)
    observed = {f"W{i}": 1 for i in range(20)} | {"W3": 12}
    config = ModelConfig()
    tests = adjust(window_tests("ward", "all", span, observed, histories, flat, config), config)
    by_area = {t.area: t for t in tests}
    assert by_area["W3"].expected == pytest.approx(1.5)
    assert by_area["W3"].flagged
    assert not any(t.flagged for t in tests if t.area != "W3")
    # windows that held half of what the weekly level predicts (long time ranges are
    # unplaced in short windows): expected counts are calibrated to what they hold
    halved = {a: AreaHistory(h.weekly, [1] * 8, h.profile) for a, h in histories.items()}
    found = window_tests("ward", "all", span, observed, halved, flat, config)
    assert found[0].expected == pytest.approx(0.75)


def test_groups_from_configuration() -> None:
    youth = next(g for g in DEFAULT_GROUPS if g.slug == "youth-asb")
    assert youth.breakdown == "youth"
    assert youth.holds("asb-nuisance", "youth")
    assert not youth.holds("asb-nuisance", "adult")
    groups = parse_groups('[{"slug": "b", "label": "burglaries", "categories": ["burglary"]}]')
    assert groups[0].categories == frozenset({"burglary"})
    with pytest.raises(ConfigError, match=r"^SAFER_ALERT_GROUPS\[0\]\.categories: unknown"):
        parse_groups('[{"slug": "b", "label": "x", "categories": ["burgled"]}]')
    with pytest.raises(ConfigError, match="dimension and value go together"):
        parse_groups('[{"slug": "b", "label": "x", "categories": "all", "dimension": "youth"}]')


def _flag(observed: int, p: float, flagged: bool) -> SpikeTest:
    return SpikeTest("ward", "E1", "all", "hour", observed, 2.0, 1.5, 0.1, p, p, flagged)


def test_an_alert_is_raised_once_updated_and_resolved_after_a_calm_wait() -> None:
    from datetime import timedelta

    from alerts.states import LifeConfig, is_news, step

    config = LifeConfig(resolve_p=0.05, resolve_after_s=600)
    t0 = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
    assert step(None, _flag(3, 0.2, False), t0, config) is None
    raised = step(None, _flag(9, 1e-5, True), t0, config)
    assert raised is not None
    assert (raised.state, raised.sequence, raised.observed) == ("raised", 1, 9)
    assert is_news(None, raised)
    same = step(raised, _flag(9, 2e-5, True), t0 + timedelta(seconds=5), config)
    assert same is raised  # p moved, the count did not: no message
    updated = step(raised, _flag(11, 1e-6, True), t0 + timedelta(seconds=10), config)
    assert updated is not None
    assert (updated.state, updated.sequence, updated.id) == ("updated", 2, raised.id)
    # above the FDR bar but p still <= 0.05: not normal yet
    held = step(updated, _flag(11, 0.03, False), t0 + timedelta(minutes=5), config)
    assert held is updated
    calm = step(updated, _flag(11, 0.3, False), t0 + timedelta(minutes=6), config)
    assert calm is not None
    assert calm.state == "updated"
    assert calm.normal_since is not None
    assert not is_news(updated, calm)
    flicker = step(calm, _flag(11, 0.01, False), t0 + timedelta(minutes=8), config)
    assert flicker is not None
    assert flicker.normal_since is None  # the wait starts again
    calm = step(flicker, _flag(11, 0.3, False), t0 + timedelta(minutes=9), config)
    assert calm is not None
    waiting = step(calm, _flag(11, 0.4, False), t0 + timedelta(minutes=18), config)
    assert waiting is calm  # 9 of 10 minutes
    resolved = step(calm, _flag(11, 0.4, False), t0 + timedelta(minutes=19, seconds=1), config)
    assert resolved is not None
    assert (resolved.state, resolved.sequence) == ("resolved", 3)
    again = step(resolved, _flag(12, 1e-6, True), t0 + timedelta(hours=2), config)
    assert again is not None
    assert again.state == "raised"
    assert again.id != raised.id  # a new alert


def test_an_alert_message_reads_as_a_sentence_and_meets_its_schema() -> None:
    import json

    from alerts.events import to_event
    from alerts.states import LifeConfig, step
    from schemas.alerts import AlertEvent

    at = datetime(2026, 12, 4, 22, 10, tzinfo=UTC)  # a Friday, 22:10 in London (GMT)
    test = SpikeTest("ward", "E05000956", "youth-asb", "hour", 14, 3.1, 1.9, 0.05, 2e-4, 0.004)
    flagged = replace(test, flagged=True)
    alert = step(None, flagged, at, LifeConfig())
    assert alert is not None
    youth = next(g for g in DEFAULT_GROUPS if g.slug == "youth-asb")
    hour = span_at("hour", at)
    event = to_event(alert, youth, "Birkenhead and Tranmere", (hour.start, hour.end), 0.01, 9)
    assert event.sentence == (
        "Birkenhead and Tranmere: 14 youth ASB incidents since 21:00 against 3.1 expected "
        "for a Friday evening (p = 0.0002)."
    )
    assert event.sources == ("council", "police")
    again = AlertEvent.model_validate_json(event.model_dump_json())
    assert again == event
    assert json.loads(event.model_dump_json())["window_start"] == "2026-12-04T21:00:00Z"


def test_deliberate_fires_count_only_fires_recorded_as_deliberate() -> None:
    fires = next(g for g in DEFAULT_GROUPS if g.slug == "deliberate-fires")
    assert fires.breakdown == "cause"
    rows = [
        ("E05000956", "secondary-fire", "deliberate", 3),
        ("E05000956", "secondary-fire", "accidental", 2),
        ("E05000956", "primary-fire", "deliberate", 1),
        ("E05000956", "false-alarm", "deliberate", 4),
        ("E05000957", "secondary-fire", "unknown", 5),
    ]
    assert group_counts(fires, rows) == {"E05000956": 4}
