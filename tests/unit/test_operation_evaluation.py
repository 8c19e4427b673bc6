"""The evaluation's statistics against hand-worked examples."""

from __future__ import annotations

import math

import pytest

from operations.evaluation import (
    ZoneCounts,
    describe_change,
    evaluate,
    net_effect,
    rate_ratio,
    wdd,
    wdq,
)

COUNTS = {
    "target": ZoneCounts(baseline=200, operation=174),
    "control": ZoneCounts(baseline=1000, operation=980),
    "buffer": ZoneCounts(baseline=100, operation=95),
}


def test_200_to_174_is_not_distinguishable_from_chance() -> None:
    """The issue's example: a rate ratio of 0.87, 95% score interval about 0.71-1.07,
    exact conditional p about 0.20."""
    found = rate_ratio(174, 744, 200, 744)
    assert found.estimate == pytest.approx(0.87)
    assert found.low == pytest.approx(0.7103, abs=1e-4)
    assert found.high == pytest.approx(1.0656, abs=1e-4)
    assert found.p == pytest.approx(0.196, abs=1e-3)
    assert found.method == "score"
    words = describe_change(found)
    assert words.startswith("a fall of 13% (95% interval -29% to +7%)")
    assert "not distinguishable from chance" in words


def test_wdd_by_hand() -> None:
    # (174 - 200) - (980 - 1000) + (95 - 100) = -26 + 20 - 5 = -11
    found = wdd(COUNTS, 1.0)
    assert found.estimate == -11
    assert found.variance == 174 + 200 + 980 + 1000 + 95 + 100  # 2,549
    assert found.z == pytest.approx(-11 / math.sqrt(2549))
    assert found.p == pytest.approx(0.8275, abs=1e-4)


def test_wdd_with_the_buffers_own_control() -> None:
    counts = {**COUNTS, "buffer_control": ZoneCounts(baseline=50, operation=40)}
    # -11 - (40 - 50) = -1
    assert wdd(counts, 1.0).estimate == -1
    assert wdd(counts, 1.0).variance == 2549 + 90


def test_wdd_scales_a_longer_baseline() -> None:
    """A 60-day baseline against a 30-day operation: baseline counts halved, their
    variance quartered."""
    doubled = {z: ZoneCounts(2 * c.baseline, c.operation) for z, c in COUNTS.items()}
    found = wdd(doubled, 0.5)
    assert found.estimate == pytest.approx(-11)
    assert found.variance == pytest.approx(174 + 980 + 95 + 0.25 * (400 + 2000 + 200))


def test_wdq_and_net_effect_by_hand() -> None:
    # success = 174/980 - 200/1000 = -0.022449; buffer = 95/980 - 100/1000 = -0.003061
    quotient, reason = wdq(COUNTS)
    assert reason is None
    assert quotient == pytest.approx((95 / 980 - 0.1) / (174 / 980 - 0.2))
    assert quotient == pytest.approx(0.13636, abs=1e-5)
    # 200 * 0.98 - 174 + 100 * 0.98 - 95 = 22 + 3
    assert net_effect(COUNTS) == pytest.approx(25)


def test_wdq_undefined_reasons() -> None:
    no_buffer = {k: v for k, v in COUNTS.items() if k != "buffer"}
    assert wdq(no_buffer)[0] is None
    assert "no buffer" in str(wdq(no_buffer)[1])
    rose = {**COUNTS, "target": ZoneCounts(200, 260)}
    assert wdq(rose)[0] is None
    assert "did not fall" in str(wdq(rose)[1])
    empty_control = {**COUNTS, "control": ZoneCounts(0, 3)}
    assert wdq(empty_control)[0] is None


def test_zero_baseline_cell_uses_the_exact_interval() -> None:
    """0 -> 5: no ratio estimate; the exact conditional interval's lower bound is
    0.025^(1/5) / (1 - 0.025^(1/5)), its upper bound unbounded; p is the binomial
    test of 5 of 5 at one half (0.0625)."""
    found = rate_ratio(5, 100, 0, 100)
    share = 0.025 ** (1 / 5)
    assert found.estimate is None
    assert found.low == pytest.approx(share / (1 - share))
    assert found.high is None
    assert found.p == pytest.approx(0.0625)
    assert found.method == "exact-conditional"
    result = evaluate({"target": ZoneCounts(0, 5), "control": ZoneCounts(10, 12)}, 100, 100)
    assert any("zero count" in c for c in result.caveats)
    assert any("Fewer than 10" in c for c in result.caveats)
    assert result.wdd is not None
    nothing_before = evaluate({"target": ZoneCounts(0, 5), "control": ZoneCounts(0, 12)}, 100, 100)
    assert nothing_before.wdd is None
    assert nothing_before.wdd_reason == "no incidents at all in the baseline period"
    assert result.wdd_reason is None
    assert any("No incidents at all in the baseline" in c for c in nothing_before.caveats)


def test_maryland_level() -> None:
    assert evaluate(COUNTS, 744, 744).maryland_level == 3
    no_control = {"target": COUNTS["target"], "control": ZoneCounts(0, 0)}
    assert evaluate(no_control, 744, 744).maryland_level == 2
    unequal = evaluate(COUNTS, 744, 720)
    assert any("scaled by 1.033" in c for c in unequal.caveats)
    # a control five times the target's volume: the WDD's absolute changes are flagged
    assert any("5.0 times the target's" in c for c in unequal.caveats)
    similar = {**COUNTS, "control": ZoneCounts(210, 200)}
    assert not any("times the target's" in c for c in evaluate(similar, 744, 744).caveats)


def test_a_running_operation_counts_the_current_hour_over_the_time_elapsed() -> None:
    """So far = every incident up to now (the current hour's included: a new one counts at
    once) over the fractional hours elapsed, against the same share of the baseline."""
    from datetime import UTC, datetime

    from geography.areas import load_areas
    from operations.periods import periods_at
    from operations.spec import parse_operation
    from operations.zones import resolve

    spec = parse_operation(
        'name = "Op"\ncategories = ["anti-social-behaviour"]\nstart = "2018-07-01"\n'
        'end = "2018-08-01"\nbaseline = "previous-period"\n[target]\nwards = ["E05000956"]\n',
        "op.toml",
    )
    op = resolve(spec, load_areas(), {})
    start = int(datetime(2018, 6, 30, 23, tzinfo=UTC).timestamp()) // 3600  # 00:00 BST
    running = periods_at(op, datetime(2018, 7, 2, 10, 30, tzinfo=UTC))
    assert running.elapsed_hours == pytest.approx(35.5)
    assert running.operation == (start, start + 36)  # up to the end of 10:00-11:00 UTC
    assert running.baseline[1] - running.baseline[0] == round(35.5 * 744 / 744)
    assert running.started
    assert not running.complete
    ended = periods_at(op, datetime(2018, 9, 1, tzinfo=UTC))
    assert ended.operation == ended.operation_full
    assert ended.elapsed_hours == 744
    assert ended.complete
    before = periods_at(op, datetime(2018, 6, 1, tzinfo=UTC))
    assert not before.started
    assert before.operation == (start, start)
