"""Daily and weekly rhythms of synthetic incidents, in Europe/London local time.

A profile is a relative intensity per local hour of the day times a factor per day of the
week. Night hours (00:00–05:59) take the factor of the evening before, so the early hours
of Saturday count as Friday night. Weights are relative (mean about 1), never absolute.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from schemas.calendar import local

HOURS_PER_WEEK = 168


class Profile(StrEnum):
    DAYTIME = "daytime"
    """Shops, offices, schools: shoplifting, most control-room calls, false alarms."""
    EVENING = "evening"
    """Youth ASB, scrambler bikes, secondary fires: after school to late evening."""
    NIGHT = "night"
    """Night-time economy: violence and public order, Friday and Saturday nights."""
    FLAT = "flat"
    """Round-the-clock with a mild evening lift: burglary, vehicle crime, other."""


_HOURLY: dict[Profile, tuple[float, ...]] = {
    Profile.DAYTIME: (
        0.2,
        0.15,
        0.1,
        0.1,
        0.1,
        0.15,
        0.3,
        0.6,
        0.9,
        1.1,
        1.3,
        1.4,
        1.4,
        1.4,
        1.4,
        1.4,
        1.3,
        1.2,
        1.0,
        0.8,
        0.6,
        0.5,
        0.4,
        0.3,
    ),
    Profile.EVENING: (
        0.5,
        0.35,
        0.2,
        0.12,
        0.1,
        0.1,
        0.15,
        0.25,
        0.4,
        0.5,
        0.6,
        0.7,
        0.8,
        0.85,
        0.95,
        1.1,
        1.4,
        1.7,
        1.9,
        2.0,
        2.0,
        1.7,
        1.2,
        0.8,
    ),
    Profile.NIGHT: (
        1.5,
        1.4,
        1.1,
        0.7,
        0.4,
        0.25,
        0.2,
        0.3,
        0.5,
        0.6,
        0.7,
        0.8,
        0.85,
        0.9,
        0.95,
        1.0,
        1.1,
        1.2,
        1.3,
        1.4,
        1.5,
        1.6,
        1.7,
        1.6,
    ),
    Profile.FLAT: (
        0.8,
        0.7,
        0.6,
        0.55,
        0.5,
        0.5,
        0.6,
        0.8,
        0.9,
        1.0,
        1.0,
        1.0,
        1.0,
        1.0,
        1.0,
        1.05,
        1.1,
        1.2,
        1.3,
        1.35,
        1.35,
        1.3,
        1.1,
        0.9,
    ),
}
"""Relative intensity per local hour 0–23."""

_DAILY: dict[Profile, tuple[float, ...]] = {
    Profile.DAYTIME: (1.05, 1.05, 1.05, 1.05, 1.05, 0.95, 0.8),
    Profile.EVENING: (0.85, 0.85, 0.9, 0.95, 1.2, 1.25, 1.0),
    Profile.NIGHT: (0.75, 0.75, 0.8, 0.9, 1.3, 1.6, 0.9),
    Profile.FLAT: (1.0, 1.0, 1.0, 1.0, 1.05, 1.0, 0.95),
}
"""Relative intensity per local day, Monday first."""

_PEAK = {p: max(_HOURLY[p]) * max(_DAILY[p]) for p in Profile}


def profile_weight(profile: Profile, weekday: int, hour: int) -> float:
    """Relative intensity at a local weekday (0 = Monday) and hour; night hours use the eve."""
    day = (weekday - 1) % 7 if hour < 6 else weekday
    return _HOURLY[profile][hour] * _DAILY[profile][day]


def weight_at(profile: Profile, ts: datetime) -> float:
    lt = local(ts)
    return profile_weight(profile, lt.weekday(), lt.hour)


def sample_before(
    rng: random.Random, profile: Profile, end: datetime, min_lag: timedelta, max_lag: timedelta
) -> datetime:
    """An instant in [end - max_lag, end - min_lag], denser where the profile is high.

    Rejection sampling with a bounded number of tries (then the last candidate is kept),
    so it always returns quickly.
    """
    span = (max_lag - min_lag).total_seconds()
    candidate = end - min_lag
    for _ in range(16):
        candidate = end - min_lag - timedelta(seconds=rng.uniform(0.0, span))
        if rng.random() * _PEAK[profile] <= weight_at(profile, candidate):
            break
    return candidate


def weekly_intensity(mix: Mapping[Profile, float]) -> tuple[float, ...]:
    """Relative intensity per local hour of the week (0 = Monday 00:00) for a profile mix.

    Normalised to a mean of 1, so ``rate * intensity`` keeps ``rate`` as the weekly mean.
    """
    raw = [
        sum(share * profile_weight(p, how // 24, how % 24) for p, share in mix.items())
        for how in range(HOURS_PER_WEEK)
    ]
    mean = sum(raw) / HOURS_PER_WEEK
    return tuple(value / mean for value in raw)
