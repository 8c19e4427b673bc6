"""How an operation did: a before/after comparison with a control area and a displacement
buffer (Maryland Scientific Methods Scale level 3 with a control, 2 without), pure
arithmetic over the zones' counts.

- **Rate ratio** per zone: the operation period's rate over the baseline's (counts per hour
  of each period), with a 95% score interval and an exact conditional p-value
  (``statsmodels.stats.rates``: well-kept, and the methods crime analysts cite); when a
  count is zero the score interval is undefined, so the exact conditional (Clopper-Pearson)
  interval is given instead and a caveat says so.
- **Weighted Displacement Difference** (Wheeler & Ratcliffe 2018, *Crime Science* 7:11):
  WDD = (T1 - T0) - (C1 - C0) + (B1 - B0) - (D1 - D0), T target, C control, B buffer, D the
  buffer's own control (0 when none is named), 0 baseline, 1 operation. Baseline counts are
  scaled by ``scale`` (operation hours / baseline hours) when the periods differ in length;
  the variance is the sum of the counts (a scaled count k·X has variance k²·X), z = WDD /
  sqrt(variance), two-sided normal p. Negative: fewer incidents than the control's trend
  predicts, after displacement.
- **Weighted Displacement Quotient** (Bowers & Johnson 2003):
  ((B1/C1) - (B0/C0)) / ((T1/C1) - (T0/C0)), defined only with a buffer, non-zero control
  counts and a target that improved relative to the control (the denominator, their
  "success measure", negative); otherwise null with the reason. Above 0: benefits spread
  to the buffer; below 0: displacement.
- **Total net effect** (Bowers & Johnson): T0·(C1/C0) - T1 + B0·(C1/C0) - B1, incidents
  fewer than the control's trend predicts, in target and buffer together.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

SMALL_COUNT = 10
"""Below this many incidents in a zone and period the intervals are wide (a caveat)."""
LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class ZoneCounts:
    baseline: int
    operation: int
    unplaced_baseline: int = 0
    unplaced_operation: int = 0


@dataclass(frozen=True, slots=True)
class RateRatio:
    estimate: float | None
    low: float | None
    high: float | None
    p: float | None
    method: str

    def as_json(self) -> dict[str, Any]:
        return {
            "estimate": _round(self.estimate),
            "low": _round(self.low),
            "high": _round(self.high),
            "p": _round(self.p, 6),
            "interval": self.method,
        }


@dataclass(frozen=True, slots=True)
class Wdd:
    estimate: float
    variance: float
    z: float | None
    p: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "estimate": _round(self.estimate),
            "variance": _round(self.variance),
            "z": _round(self.z),
            "p": _round(self.p, 6),
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    counts: dict[str, ZoneCounts]
    scale: float
    rate_ratios: dict[str, RateRatio]
    wdd: Wdd | None
    wdd_reason: str | None
    wdq: float | None
    wdq_reason: str | None
    net_effect: float | None
    maryland_level: int
    caveats: list[str] = field(default_factory=list)


def rate_ratio(
    operation: int, operation_hours: float, baseline: int, baseline_hours: float
) -> RateRatio:
    """The operation period's rate over the baseline's, 95% interval and exact conditional
    p-value (H0: equal rates)."""
    from statsmodels.stats.rates import confint_poisson_2indep, test_poisson_2indep

    if operation + baseline == 0:
        return RateRatio(None, None, None, None, "none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        test = test_poisson_2indep(
            operation, operation_hours, baseline, baseline_hours, method="exact-cond"
        )
        p = float(test.pvalue)
        estimate = (operation / operation_hours) / (baseline / baseline_hours) if baseline else None
        if operation > 0 and baseline > 0:
            low, high = confint_poisson_2indep(
                operation,
                operation_hours,
                baseline,
                baseline_hours,
                method="score",
                compare="ratio",
                alpha=1 - LEVEL,
            )
            return RateRatio(estimate, float(low), float(high), min(p, 1.0), "score")
    low, high = _exact_conditional(operation, operation_hours, baseline, baseline_hours)
    return RateRatio(estimate, low, high, min(p, 1.0), "exact-conditional")


def _exact_conditional(
    operation: int, operation_hours: float, baseline: int, baseline_hours: float
) -> tuple[float | None, float | None]:
    """Clopper-Pearson bounds on operation / (operation + baseline), as a rate ratio."""
    from statsmodels.stats.proportion import proportion_confint

    n = operation + baseline
    low_p, high_p = proportion_confint(operation, n, alpha=1 - LEVEL, method="beta")
    ratio = baseline_hours / operation_hours

    def as_ratio(share: float) -> float | None:
        if share >= 1:
            return None  # unbounded
        return share / (1 - share) * ratio

    return as_ratio(float(low_p)), as_ratio(float(high_p))


def wdd(counts: dict[str, ZoneCounts], scale: float) -> Wdd:
    """The Weighted Displacement Difference over the zones present (module docstring)."""
    signs = {"target": 1, "control": -1, "buffer": 1, "buffer_control": -1}
    estimate = 0.0
    variance = 0.0
    for zone, sign in signs.items():
        found = counts.get(zone)
        if found is None:
            continue
        estimate += sign * (found.operation - scale * found.baseline)
        variance += found.operation + scale * scale * found.baseline
    if variance <= 0:
        return Wdd(estimate, variance, None, None)
    z = estimate / math.sqrt(variance)
    return Wdd(estimate, variance, z, math.erfc(abs(z) / math.sqrt(2)))


def wdq(counts: dict[str, ZoneCounts]) -> tuple[float | None, str | None]:
    target, control, buffer = counts.get("target"), counts.get("control"), counts.get("buffer")
    if buffer is None:
        return None, "no buffer zone: the WDQ measures displacement into a buffer"
    if control is None or control.baseline == 0 or control.operation == 0:
        return None, "the control has no incidents in one of the periods"
    assert target is not None
    success = target.operation / control.operation - target.baseline / control.baseline
    if success >= 0:
        return None, (
            "the target did not fall relative to the control (success measure "
            f"{success:+.3f}), so there is no effect to be displaced"
        )
    buffer_change = buffer.operation / control.operation - buffer.baseline / control.baseline
    return buffer_change / success, None


def net_effect(counts: dict[str, ZoneCounts]) -> float | None:
    control = counts.get("control")
    if control is None or control.baseline == 0:
        return None
    trend = control.operation / control.baseline
    total = 0.0
    for zone in ("target", "buffer"):
        found = counts.get(zone)
        if found is not None:
            total += found.baseline * trend - found.operation
    return total


def evaluate(
    counts: dict[str, ZoneCounts], operation_hours: float, baseline_hours: float
) -> Evaluation:
    """Every statistic of the module docstring, and the caveats of the arithmetic itself
    (small and zero counts, unequal periods); the caller adds those of the data."""
    scale = operation_hours / baseline_hours
    ratios = {
        zone: rate_ratio(c.operation, operation_hours, c.baseline, baseline_hours)
        for zone, c in counts.items()
    }
    caveats: list[str] = []
    if not math.isclose(scale, 1.0):
        caveats.append(
            f"The baseline covers {_duration(baseline_hours)} and the operation so far "
            f"{_duration(operation_hours)}: baseline counts are scaled by {scale:.3f} in the "
            "WDD and rate ratios compare counts per hour."
        )
    small = [zone for zone, c in counts.items() if min(c.baseline, c.operation) < SMALL_COUNT]
    if small:
        caveats.append(
            f"Fewer than {SMALL_COUNT} incidents in a period of the {_names(small)}: "
            "intervals are wide and a change can easily be chance."
        )
    exact = [zone for zone, r in ratios.items() if r.method == "exact-conditional"]
    if exact:
        caveats.append(
            f"A zero count in the {_names(exact)}: the exact conditional (Clopper-Pearson) "
            "interval is shown instead of the score interval."
        )
    control = counts.get("control")
    level = 3 if control is not None and (control.baseline or control.operation) else 2
    if level == 2:
        caveats.append(
            "No control incidents: the design is a before/after comparison only (Maryland "
            "level 2); a change may be a trend everywhere."
        )
    target = counts.get("target")
    if control is not None and target is not None and target.baseline and control.baseline:
        volume = control.baseline / target.baseline
        if volume > 2 or volume < 0.5:
            caveats.append(
                f"The control's baseline is {volume:.1f} times the target's: the WDD adds and "
                "subtracts changes in incidents, so a control of similar volume reads best; "
                "the rate ratios and the net effect compare rates and trends instead."
            )
    quotient, reason = wdq(counts)
    empty_baseline = not any(c.baseline for c in counts.values())
    if empty_baseline:
        caveats.append(
            "No incidents at all in the baseline period: the feeds may not cover it, so there "
            "is nothing to compare with and the WDD is not computed."
        )
    return Evaluation(
        counts=counts,
        scale=scale,
        rate_ratios=ratios,
        wdd=None if empty_baseline else wdd(counts, scale),
        wdd_reason="no incidents at all in the baseline period" if empty_baseline else None,
        wdq=quotient,
        wdq_reason=reason,
        net_effect=net_effect(counts),
        maryland_level=level,
        caveats=caveats,
    )


def _duration(hours: float) -> str:
    """ "9.4 hours", "30 days", "2.5 days": hours under two days, else days."""
    if hours < 48:
        return f"{round(hours, 1):g} hours"
    return f"{round(hours / 24, 1):g} days"


def describe_change(ratio: RateRatio) -> str:
    """A rate ratio in plain words: "a fall of 13% (95% interval -29% to +7%): not
    distinguishable from chance at this volume"."""
    if ratio.estimate is None:
        return "no rate to compare (no incidents in the baseline)"
    change = (ratio.estimate - 1) * 100
    word = "fall" if change < 0 else "rise"
    text = f"a {word} of {abs(change):.0f}%"
    if ratio.low is not None:
        high = f"{(ratio.high - 1) * 100:+.0f}%" if ratio.high is not None else "unbounded"
        text += f" (95% interval {(ratio.low - 1) * 100:+.0f}% to {high})"
    if ratio.p is None:
        return text
    if ratio.p < 0.05:
        return f"{text}: unlikely to be chance alone (p = {ratio.p:.3f})"
    return f"{text}: not distinguishable from chance at this volume (p = {ratio.p:.2f})"


def _names(zones: list[str]) -> str:
    words = [z.replace("_", "'s ").replace("buffer's control", "buffer's control") for z in zones]
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def _round(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)
