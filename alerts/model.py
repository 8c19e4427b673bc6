"""Expected counts and spike tests (pure): how unusual a window's count is for an area and
an alert group, as a tail probability under an over-dispersed seasonal model, with
false-discovery control across every test of one evaluation.

**Windows.** Aggregates are hourly, so the windows end at the end of the current clock
hour and the current hour counts as it fills (``aggregates.periods``): ``hour`` is the
previous clock hour and the current one so far ("since 21:00": 60 to 120 minutes), ``day``
the last 23 hours and the current one so far.

**Expected count** (after the improved Farrington method, Noufaily et al. 2013, on hourly
data): the area's weekly level times the share of a week's incidents that falls in the
window. The *level* is the mean of the area's weekly totals over ``weeks`` trailing weeks,
after a guard band (the last 7 days, which hold the window itself, are left out, so an
ongoing surge does not raise its own baseline), with weeks whose total is far above the
rest (Anscombe residual above 2.58) down-weighted by the residual's inverse square, as past
outbreaks are. The *share* comes from the hour-of-week profile (aoristic, so an incident
known only as a time range is spread over it): the area's own, shrunk towards the
partnership's by ``profile_prior`` incidents, so a quiet area borrows the partnership's
rhythm. The current hour counts by the share of it elapsed.

**Calibration.** A short window cannot hold every incident a week's total counts: a
record known only as a time range longer than the window (police records often are) is
unplaced there (``aggregates.windows``). So the expected counts of a level, group and
window are scaled by how much the same window held in the trailing weeks against what the
model expected of them, pooled over the areas: sum(past counts) / sum(expected).

**Reporting delays.** The window is evaluated while it fills, but the trailing weeks'
windows are complete: a police record typically arrives hours after the incident. So the
expected count of the window as it stands counts only what should have been received by
now: each hour's share is weighted by the share of the group's records received that long
after an incident (``aggregates.delays``, measured by the live writer over the recent
days). Without enough measured records no correction is made.

**Spread.** Counts are negative binomial: variance = mu + phi * mu^2. The over-dispersion
phi is estimated once per level, group and window from the same window in each trailing
week across all areas (method of moments: sum((y - mu)^2 - mu) / sum(mu^2)), floored at
``min_dispersion``; phi = 0 is Poisson.

**SpikeTest.** p = P(X >= observed) under that model; across all tests of one evaluation the
p-values are adjusted by Benjamini-Hochberg (``statsmodels``), and a window is flagged when
its adjusted p is at most ``fdr`` and it holds at least ``min_observed`` incidents. With
fewer ``covered`` weeks than ``weeks`` an area gets no test ("not enough history").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from scipy.stats import nbinom, poisson
from statsmodels.stats.multitest import multipletests

from aggregates.buckets import HOUR_S, hour_start
from aggregates.delays import Completeness
from aggregates.hour_of_week import HOURS_PER_WEEK, hour_of_week
from aggregates.periods import end_of_this_hour

WINDOWS = ("hour", "day")
WINDOW_HOURS = {"hour": 2, "day": 24}
WEEK = HOURS_PER_WEEK
ARRIVAL_POINTS = 4
"""Points per hour at which the share of its incidents received so far is averaged."""
RESIDUAL_LIMIT = 2.58
"""Anscombe residual above which a past week is down-weighted (Noufaily et al. 2013)."""
ZERO_LEVEL = 0.5
"""An area with no incident in its trailing weeks is taken to have had half of one, so
its expected count is small but not zero (a first incident is not infinitely unusual)."""


@dataclass(frozen=True, slots=True)
class ModelConfig:
    weeks: int = 8
    fdr: float = 0.05
    min_observed: int = 4
    min_dispersion: float = 0.05
    profile_prior: float = 300.0


@dataclass(frozen=True, slots=True)
class Span:
    """A window resolved at a time: epoch hours [start, end) and the share of its last
    hour elapsed."""

    kind: str
    start: int
    end: int
    fraction: float

    def shifted(self, weeks: int) -> tuple[int, int]:
        return self.start - weeks * WEEK, self.end - weeks * WEEK


def span_at(kind: str, now: datetime) -> Span:
    end = end_of_this_hour(now)
    elapsed = (now - hour_start(end - 1)).total_seconds() / HOUR_S
    return Span(kind, end - WINDOW_HOURS[kind], end, min(max(elapsed, 0.0), 1.0))


def week_spans(now: datetime, weeks: int) -> list[tuple[int, int]]:
    """The trailing weeks after the guard band, most recent first: week j (1..weeks) is
    [end - 168 (j + 1), end - 168 j) for the end of the current hour."""
    end = end_of_this_hour(now)
    return [(end - WEEK * (j + 1), end - WEEK * j) for j in range(1, weeks + 1)]


@dataclass(frozen=True, slots=True)
class AreaHistory:
    """What the model knows of one area and group: its weekly totals (trailing weeks, most
    recent first), the window's count in each of those weeks, and its own hour-of-week
    profile (168 weights, in incidents)."""

    weekly: Sequence[int]
    past: Sequence[int]
    profile: Sequence[float]


@dataclass(frozen=True, slots=True)
class Expected:
    mean: float
    """Expected count of the window as it stands (its last hour by the share elapsed)."""
    full: float
    """Expected count of the whole window (as the past weeks' windows were)."""
    level: float
    """The area's weekly level (down-weighted mean of its weekly totals)."""


def level_of(weekly: Sequence[int]) -> float:
    """The down-weighted mean of weekly totals (module docstring)."""
    if not weekly or not any(weekly):
        return ZERO_LEVEL / max(len(weekly), 1)
    mean = sum(weekly) / len(weekly)
    weights = []
    for total in weekly:
        residual = 1.5 * (total ** (2 / 3) - mean ** (2 / 3)) / mean ** (1 / 6)
        weights.append(1.0 if residual <= RESIDUAL_LIMIT else (RESIDUAL_LIMIT / residual) ** 2)
    return sum(w * t for w, t in zip(weights, weekly, strict=True)) / sum(weights)


def blended(own: Sequence[float], pooled: Sequence[float], prior: float) -> list[float]:
    """Hour-of-week shares (sum 1): the area's profile shrunk towards the pooled one."""
    own_total, pooled_total = sum(own), sum(pooled)
    if pooled_total <= 0 and own_total <= 0:
        return [1.0 / WEEK] * WEEK
    pooled_shares = [w / pooled_total for w in pooled] if pooled_total > 0 else [1.0 / WEEK] * WEEK
    return [(o + prior * p) / (own_total + prior) for o, p in zip(own, pooled_shares, strict=True)]


def share(
    shares: Sequence[float],
    span: Span,
    fraction: float | None = None,
    arrived: Completeness | None = None,
) -> float:
    """The share of a week's incidents in the window (its last hour by ``fraction``); with
    ``arrived``, only the part of them received by the window's time (each hour's
    incidents weighted by the share of records received that long after, averaged over
    the hour at ``ARRIVAL_POINTS`` points)."""
    last = span.fraction if fraction is None else fraction
    now = span.end - 1 + last
    total = 0.0
    for hour in range(span.start, span.end):
        width = min(hour + 1.0, now) - hour
        if width <= 0:
            continue
        if arrived is not None:
            step = width / ARRIVAL_POINTS
            lags = (now - hour - step * (k + 0.5) for k in range(ARRIVAL_POINTS))
            width *= sum(arrived(lag) for lag in lags) / ARRIVAL_POINTS
        total += shares[hour_of_week(hour)] * width
    return total


def expected(
    history: AreaHistory,
    pooled: Sequence[float],
    span: Span,
    prior: float,
    arrived: Completeness | None = None,
) -> Expected:
    """The window's expected count as it stands (by the share elapsed and, with
    ``arrived``, received) and as the whole window (as the past weeks' windows were)."""
    level = level_of(history.weekly)
    shares = blended(history.profile, pooled, prior)
    return Expected(
        level * share(shares, span, arrived=arrived), level * share(shares, span, 1.0), level
    )


def calibration(pairs: Sequence[tuple[Sequence[int], float]]) -> float:
    """What the window held in the trailing weeks over what the model expected of them,
    pooled over the areas (1 when nothing was expected)."""
    held = sum(sum(past) for past, _ in pairs)
    wanted = sum(mean * len(past) for past, mean in pairs)
    return held / wanted if wanted > 0 else 1.0


def usual_in_hour(history: AreaHistory, pooled: Sequence[float], hour: int, prior: float) -> float:
    """How many incidents usually occur in an area in that epoch hour (its weekly level
    times the hour's share of the week), however late they are reported: the size a surge
    is measured against."""
    shares = blended(history.profile, pooled, prior)
    return level_of(history.weekly) * shares[hour_of_week(hour)]


def dispersion(pairs: Sequence[tuple[Sequence[int], float]], floor: float) -> float:
    """phi from (past counts of the window, its full expected count) of every area (module
    docstring)."""
    excess = 0.0
    scale = 0.0
    for past, mean in pairs:
        for y in past:
            excess += (y - mean) ** 2 - mean
            scale += mean * mean
    if scale <= 0:
        return floor
    return max(floor, excess / scale)


def upper_tail(observed: int, mean: float, phi: float) -> float:
    """P(X >= observed) for X negative binomial with this mean and over-dispersion."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if phi <= 0:
        return float(poisson.sf(observed - 1, mean))
    size = 1.0 / phi
    return float(nbinom.sf(observed - 1, size, size / (size + mean)))


def spread(mean: float, phi: float) -> float:
    return math.sqrt(mean + phi * mean * mean)


@dataclass(frozen=True, slots=True)
class SpikeTest:
    """One spike test: an area, a group and a window at one evaluation."""

    level: str
    area: str
    group: str
    window: str
    observed: int
    expected: float
    spread: float
    phi: float
    p: float
    p_adjusted: float = 1.0
    flagged: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.level, self.area, self.group, self.window)


def adjust(tests: Sequence[SpikeTest], config: ModelConfig) -> list[SpikeTest]:
    """Benjamini-Hochberg across the tests of one evaluation; flag those that pass."""
    if not tests:
        return []
    _, adjusted, _, _ = multipletests([t.p for t in tests], alpha=config.fdr, method="fdr_bh")
    out = []
    for test, p_adj in zip(tests, adjusted, strict=True):
        flagged = float(p_adj) <= config.fdr and test.observed >= config.min_observed
        out.append(replace(test, p_adjusted=float(p_adj), flagged=flagged))
    return out


def window_tests(
    level: str,
    group: str,
    span: Span,
    observed: Mapping[str, int],
    histories: Mapping[str, AreaHistory],
    pooled: Sequence[float],
    config: ModelConfig,
    arrived: Completeness | None = None,
) -> list[SpikeTest]:
    """The unadjusted tests of every area of a level for one group and window; with
    ``arrived`` (the group's reporting delays), each expected count is of the incidents
    received by now."""
    raw = {
        area: expected(history, pooled, span, config.profile_prior, arrived)
        for area, history in histories.items()
    }
    factor = calibration([(histories[a].past, e.full) for a, e in raw.items()])
    found = {a: Expected(e.mean * factor, e.full * factor, e.level) for a, e in raw.items()}
    pairs = [(histories[a].past, e.full) for a, e in found.items()]
    phi = dispersion(pairs, config.min_dispersion)
    tests = []
    for area, e in sorted(found.items()):
        count = observed.get(area, 0)
        tests.append(
            SpikeTest(
                level,
                area,
                group,
                span.kind,
                count,
                e.mean,
                spread(e.mean, phi),
                phi,
                upper_tail(count, e.mean, phi),
            )
        )
    return tests
