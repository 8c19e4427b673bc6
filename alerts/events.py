"""An alert as its message on ``safer.alerts.v1`` (``schemas.alerts.AlertEvent``), with the
sentence a person reads (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from aggregates.buckets import epoch_hour, hour_start
from alerts.groups import AlertGroup
from alerts.rules import Rule
from alerts.states import Alert
from schemas.alerts import AlertEvent, AlertKind, AlertState
from schemas.calendar import local
from schemas.categories import CATEGORY_SOURCE

PARTS_OF_DAY = ((6, "night"), (12, "morning"), (18, "afternoon"), (24, "evening"))


def part_of_day(at: datetime) -> str:
    """ "a Friday evening": the local weekday and part of the day."""
    lt = local(at)
    part = next(name for end, name in PARTS_OF_DAY if lt.hour < end)
    return f"a {lt.strftime('%A')} {part}"


def _p(value: float) -> str:
    if value < 0.0001:
        return "p < 0.0001"
    return f"p = {value:.4f}" if value < 0.01 else f"p = {value:.3f}"


def _when(window: str, start: datetime) -> str:
    return f"since {local(start).strftime('%H:%M')}" if window == "hour" else "in the last 24 hours"


def sentence(alert: Alert, group: AlertGroup, area_name: str, start: datetime) -> str:
    """ "Birkenhead and Tranmere: 14 youth ASB incidents since 21:00 against 3.1 expected
    for a Friday evening (p = 0.0002)"; a resolved alert says it is back within normal."""
    when = _when(alert.window, start)
    at = datetime.fromisoformat(alert.updated_at)
    figures = (
        f"{alert.observed:,} {group.label} {when} against {alert.expected:.1f} expected for "
        f"{part_of_day(at)} ({_p(alert.p)})"
    )
    if alert.state == "resolved":
        return f"{area_name}: back within normal — {figures}."
    return f"{area_name}: {figures}."


def _span(hours: float) -> str:
    return f"{hours / 24:g} days" if hours >= 48 and hours % 24 == 0 else f"{hours:g} hours"


FIGURES_SEP = " — "
"""Between a rule alert's words and its counts: what precedes it holds no count."""


def rule_figures(
    rule: Rule, area_name: str, observed: str, earlier: str | None, resolved: bool
) -> str:
    """ "Oxton: burglaries in the last 24 hours within 200 m of earlier burglaries in the
    14 days before — 2, near 5 earlier against 0.8 usual there (p = 0.0040)."
    (``observed``, ``earlier``: as disclosed; ``earlier`` None: left out)."""
    if resolved:
        return (
            f"{area_name}: no {rule.label} near {rule.first_label} any more (withdrawn, or "
            f"older than {_span(rule.recent_hours)})."
        )
    head = (
        f"{area_name}: {rule.label} in the last {_span(rule.recent_hours)} within "
        f"{rule.metres:g} m of {rule.first_label} in the {_span(rule.hours)} before"
    )
    near = f", near {earlier}" if earlier is not None else ""
    return f"{head}{FIGURES_SEP}{observed}{near}."


def shared_sentence(event: AlertEvent, observed: str) -> str:
    """The sentence for someone who may not see exact counts: ``observed`` as disclosed to
    them ("about 15", "fewer than 5"), the expected count to a whole number and no p-value
    (which, with the expected count, would give the exact count away); of a rule alert, its
    words and that count (not the earlier incidents')."""
    if event.kind != AlertKind.SPIKE:
        if event.state == AlertState.RESOLVED:
            return event.sentence  # holds no count
        return f"{event.sentence.split(FIGURES_SEP)[0]}{FIGURES_SEP}{observed}."
    when = _when(event.window, event.window_start)
    figures = (
        f"{observed} {event.group_label} {when} against {event.expected:.0f} expected "
        f"for {part_of_day(event.updated_at)}"
    )
    if event.state == AlertState.RESOLVED:
        return f"{event.area_name}: back within normal — {figures}."
    return f"{event.area_name}: unusually high — {figures}."


def _message(
    alert: Alert,
    label: str,
    area_name: str,
    span: tuple[datetime, datetime],
    threshold: float,
    **rest: Any,
) -> AlertEvent:
    """What every alert message carries (``rest``: its kind's own fields)."""
    return AlertEvent(
        id=alert.id,
        sequence=alert.sequence,
        kind=AlertKind(alert.kind),
        state=AlertState(alert.state),
        group=alert.group,
        group_label=label,
        level=alert.level,
        area=alert.area,
        area_name=area_name,
        window=alert.window,
        window_start=span[0],
        window_end=span[1],
        observed=alert.observed,
        expected=round(alert.expected, 4),
        p=alert.p,
        p_adjusted=min(alert.p_adjusted, 1.0),
        threshold=threshold,
        raised_at=datetime.fromisoformat(alert.raised_at),
        updated_at=datetime.fromisoformat(alert.updated_at),
        **rest,
    )


def to_event(
    alert: Alert,
    group: AlertGroup,
    area_name: str,
    window: tuple[int, int],
    threshold: float,
    history_weeks: int,
    record_keys: Sequence[str] = (),
) -> AlertEvent:
    start, end = hour_start(window[0]), hour_start(window[1])
    return _message(
        alert,
        group.label,
        area_name,
        (start, end),
        threshold,
        spread=round(alert.spread, 4),
        history_weeks=history_weeks,
        sources=_sources(group.categories),
        record_keys=tuple(record_keys),
        sentence=sentence(alert, group, area_name, start),
    )


def _sources(categories: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({CATEGORY_SOURCE[c].value for c in categories}))


def rule_event(alert: Alert, rule: Rule, area_name: str, threshold: float) -> AlertEvent:
    """A near-repeat or cross-agency alert's message: the incidents matched (their record
    keys, for analysts) over the span the rule searched up to the message."""
    end = hour_start(epoch_hour(datetime.fromisoformat(alert.updated_at)) + 1)
    start = end - timedelta(hours=rule.hours + rule.recent_hours)
    resolved = alert.state == "resolved"
    usual = f"{alert.earlier:,} earlier against {alert.expected:.1f} usual there ({_p(alert.p)})"
    return _message(
        alert,
        rule.label,
        area_name,
        (start, end),
        threshold,
        earlier=alert.earlier,
        history_weeks=0,
        sources=_sources(rule.first | rule.then),
        record_keys=() if resolved else alert.record_keys,
        sentence=rule_figures(rule, area_name, f"{alert.observed:,}", usual, resolved),
    )
