"""An alert's life (pure): raised once, updated while it lasts, resolved when its window
has been back within normal for a while.

A spike test flagged by the model (``alerts.model``: adjusted p at most the FDR level and
enough incidents) **raises** an alert for its key (level, area, group, window) unless one
is active. While active, an evaluation that changes its observed count **updates** it (a
change of p alone does not: the expected count creeps with the clock). It is **resolved**
once its raw p has stayed above ``resolve_p`` for ``resolve_after_s`` seconds — a looser
bar than raising (hysteresis) and a wait, so an alert hovering at the threshold neither
flaps between raised and resolved nor floods the topic. A window with no test any more
(the area lost its history) resolves at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from alerts.model import SpikeTest

State = Literal["raised", "updated", "resolved"]
ACTIVE: tuple[State, ...] = ("raised", "updated")


@dataclass(frozen=True, slots=True)
class LifeConfig:
    resolve_p: float = 0.05
    resolve_after_s: float = 1800.0


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert's current state (what ``safer.alerts.v1`` carries, less the wording)."""

    id: str
    kind: str
    state: State
    level: str
    area: str
    group: str
    window: str
    observed: int
    expected: float
    spread: float
    p: float
    p_adjusted: float
    raised_at: str
    updated_at: str
    sequence: int
    normal_since: str | None = None
    record_keys: tuple[str, ...] = ()
    """The incidents behind a rule alert (analysts only; a spike alert names none)."""
    earlier: int = 0
    """A rule alert's earlier incidents matched."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "record_keys", tuple(self.record_keys))  # JSON gives a list

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.level, self.area, self.group, self.window)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def alert_id(kind: str, key: tuple[str, ...], raised_at: str) -> str:
    """Stable and unique: the same raise always has the same id (a replay or a restart
    that raises it again names the same alert)."""
    digest = hashlib.sha256("|".join((kind, *key, raised_at)).encode()).hexdigest()
    return f"{kind}-{digest[:12]}"


def stamp_of(at: datetime) -> str:
    """An alert's times, to the millisecond (how soon it followed an incident is measured)."""
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def step(
    current: Alert | None, test: SpikeTest | None, now: datetime, config: LifeConfig
) -> Alert | None:
    """The alert after one evaluation (None: nothing to keep or say). Returns ``current``
    itself when nothing changed that is worth a message."""
    stamp = stamp_of(now)
    if current is None or not current.active:
        if test is None or not test.flagged:
            return current
        return Alert(
            id=alert_id("spike", test.key, stamp),
            kind="spike",
            state="raised",
            level=test.level,
            area=test.area,
            group=test.group,
            window=test.window,
            observed=test.observed,
            expected=test.expected,
            spread=test.spread,
            p=test.p,
            p_adjusted=test.p_adjusted,
            raised_at=stamp,
            updated_at=stamp,
            sequence=1,
        )
    if test is None:
        return replace(current, state="resolved", updated_at=stamp, sequence=current.sequence + 1)
    if test.flagged or test.p <= config.resolve_p:
        if test.observed != current.observed:
            return _moved(current, test, "updated", stamp)
        if current.normal_since is not None:
            return replace(current, normal_since=None)
        return current
    if current.normal_since is None:
        return replace(current, normal_since=stamp)
    waited = (now - datetime.fromisoformat(current.normal_since)).total_seconds()
    if waited < config.resolve_after_s:
        return current
    return _moved(current, test, "resolved", stamp)


def _moved(current: Alert, test: SpikeTest, state: State, stamp: str) -> Alert:
    return replace(
        current,
        state=state,
        updated_at=stamp,
        sequence=current.sequence + 1,
        normal_since=None,
        observed=test.observed,
        expected=test.expected,
        spread=test.spread,
        p=test.p,
        p_adjusted=test.p_adjusted,
    )


def is_news(before: Alert | None, after: Alert | None) -> bool:
    """Whether the step produced a message (a raise, an update or a resolution)."""
    if after is None:
        return False
    return before is None or after.sequence != before.sequence
