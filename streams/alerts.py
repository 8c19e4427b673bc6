"""The worker's alert job: every ``SAFER_ALERT_INTERVAL_S`` (5 s) it evaluates every spike test
from the live aggregates (``store.alert_inputs``, ``alerts.model``) and every near-repeat
and cross-agency rule from the geo index (``store.nearby``, ``alerts.rules``), steps each
alert's life (``alerts.states``, ``alerts.rules.step``), stores the changes with their
messages (``store.alert_state``) and publishes the outbox to ``safer.alerts.v1``.

The evaluation runs in a thread (its Redis reads are blocking and take tens of
milliseconds); only the leader of the worker group runs the timer, so several workers raise
each alert once. A failed evaluation is logged and retried at the next tick: the alert job
never stops the counting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faust
from redis import Redis

from aggregates.buckets import epoch_hour
from aggregates.hour_of_week import HOURS_PER_WEEK
from aggregates.unusual import covered_weeks
from alerts.events import rule_event, to_event
from alerts.groups import DEFAULT_GROUPS, AlertGroup, parse_groups
from alerts.model import ModelConfig, Span, span_at
from alerts.rules import (
    BASELINE_FACTOR,
    DEFAULT_RULES,
    Rule,
    by_ward,
    judge,
    parse_rules,
    with_history,
)
from alerts.rules import step as rule_step
from alerts.states import Alert, LifeConfig, is_news, stamp_of, step
from bus.produce import BatchSender, aiokafka_of
from geography.areas import Areas, load_areas
from safer.settings import Settings
from schemas.alerts import AlertEvent
from schemas.topics import Topics
from store.alert_inputs import UNCOVERED_REREAD, AlertInputs, Evaluation
from store.alert_state import AlertStore, Key, Status
from store.keys import Keys
from store.nearby import NearbyReader
from store.reader import StoreReader

log = logging.getLogger(__name__)
MAX_RECORD_KEYS = 500
"""Most record keys one spike alert message names (a borough's busy day holds more)."""


def groups_of(settings: Settings) -> tuple[AlertGroup, ...]:
    return parse_groups(settings.alert_groups) if settings.alert_groups else DEFAULT_GROUPS


def rules_of(settings: Settings) -> tuple[Rule, ...]:
    return DEFAULT_RULES if settings.alert_rules is None else parse_rules(settings.alert_rules)


def model_config(settings: Settings) -> ModelConfig:
    return ModelConfig(
        weeks=settings.alert_weeks,
        fdr=settings.alert_fdr,
        min_observed=settings.alert_min_observed,
    )


@dataclass(slots=True)
class AlertEngine:
    """One evaluation at a time: tests -> alert steps -> stored changes and messages."""

    settings: Settings
    redis: Redis
    areas: Areas
    groups: tuple[AlertGroup, ...]
    inputs: AlertInputs
    store: AlertStore
    life: LifeConfig
    alerts: dict[Key, Alert] = field(default_factory=dict)
    last: Evaluation | None = None
    rules: tuple[Rule, ...] = ()
    nearby: NearbyReader | None = None
    _covered: tuple[int, float, datetime] | None = None

    @classmethod
    def of(cls, settings: Settings, redis: Redis | None = None) -> AlertEngine:
        client = redis or Redis.from_url(settings.require_redis(), socket_timeout=10)
        areas = load_areas(settings.partnership)
        groups = groups_of(settings)
        inputs = AlertInputs(
            StoreReader.of(client, settings),
            groups,
            {"ward": tuple(areas.ward_names), "borough": tuple(areas.authority_names)},
            model_config(settings),
        )
        store = AlertStore(client, Keys(settings.redis_prefix))
        life = LifeConfig(settings.alert_resolve_p, settings.alert_resolve_after_s)
        nearby = NearbyReader(client, Keys(settings.redis_prefix))
        return cls(
            settings,
            client,
            areas,
            groups,
            inputs,
            store,
            life,
            store.active(),
            rules=rules_of(settings),
            nearby=nearby,
        )

    def _name(self, level: str, area: str) -> str:
        if level == "ward":
            return self.areas.ward_name(area)
        return self.areas.authority_names.get(area, area)

    def cycle(self, now: datetime) -> list[AlertEvent]:
        """Evaluate at ``now``; store and return the messages of what changed. Without
        enough history for any test (the feeds covered too few of the trailing weeks, e.g.
        after a gap), active alerts are left as they are: nothing says they are over."""
        changes = self._rule_changes(now)
        found = self.inputs.evaluate(now)
        self.last = found
        if found.enough:
            changes += self._spike_changes(now, found)
        self.store.save(changes)
        self.store.record_status(
            Status(stamp_of(now), len(found.tests), found.covered, found.needed)
        )
        for alert, _ in changes:
            if alert.active:
                self.alerts[alert.key] = alert
            else:
                self.alerts.pop(alert.key, None)
        return [event for _, event in changes if event is not None]

    def _rule_changes(self, now: datetime) -> list[tuple[Alert, AlertEvent | None]]:
        """Near-repeat and cross-agency alerts: one per rule and ward with unusual matches.
        A rule without history enough to judge leaves its active alerts as they are."""
        if not self.rules or self.nearby is None:
            return []
        rules = with_history(self.rules, self._covered_hours(now))
        found = self.nearby.matches(rules, epoch_hour(now), self.areas.centre)
        matches = judge(rules, found, self.inputs.config.fdr)
        changes: list[tuple[Alert, AlertEvent | None]] = []
        for rule in rules:
            wards = by_ward(rule, matches.get(rule.slug, []))
            active = {
                k[1]
                for k, a in self.alerts.items()
                if a.active and a.kind == rule.kind and k[2] == rule.slug
            }
            for ward in sorted(set(wards) | active):
                key = ("ward", ward, rule.slug, rule.window)
                before = self.alerts.get(key)
                after = rule_step(rule, ward, before, wards.get(ward, []), now)
                if after is None or after is before:
                    continue
                event = rule_event(after, rule, self._name("ward", ward), self.inputs.config.fdr)
                changes.append((after, event))
        return changes

    def _incidents(self, alert: Alert, group: AlertGroup, span: Span) -> tuple[str, ...]:
        """The record keys of the group's incidents in the alert's area and window, as far
        as the geo index knows them (incidents with a point, known to within a day),
        oldest first, at most ``MAX_RECORD_KEYS``."""
        if self.nearby is None:
            return ()
        wards = {alert.area} if alert.level == "ward" else self.areas.authority_wards(alert.area)
        found = self.nearby.points(group.categories, span.start, span.end, self.areas.centre)
        kept = sorted(
            (f.hour, f.record_key)
            for f, _, _ in found
            if f.ward in wards and group.holds(f.category, f.value(group.dimension))
        )
        return tuple(dict.fromkeys(key for _, key in kept))[:MAX_RECORD_KEYS]

    def _covered_hours(self, now: datetime) -> float:
        """How far back the feeds covered without a gap: the whole weeks before the last 7
        days that they covered, as far as any rule reaches (read once per clock hour, and
        every ``UNCOVERED_REREAD`` while a rule lacks history, as the spikes' is)."""
        hour = epoch_hour(now)
        if self._covered is not None:
            seen_hour, hours, at = self._covered
            judged = len(with_history(self.rules, hours)) == len(self.rules)
            if seen_hour == hour and (judged or now - at < UNCOVERED_REREAD):
                return hours
        reach = max(r.hours * (1 + BASELINE_FACTOR) + r.recent_hours for r in self.rules)
        weeks = int(reach // HOURS_PER_WEEK) + 2
        activity = self.inputs.reader.baseline("borough", hour, hour + 1, weeks).activity
        covered = 0  # whole weeks before this one (this one may have begun an hour ago)
        for week_covered in covered_weeks(activity):
            if not week_covered:
                break
            covered += 1
        self._covered = (hour, float(covered * HOURS_PER_WEEK), now)
        return self._covered[1]

    def _spike_changes(
        self, now: datetime, found: Evaluation
    ) -> list[tuple[Alert, AlertEvent | None]]:
        tests = {t.key: t for t in found.tests}
        by_slug = {g.slug: g for g in self.groups}
        changes: list[tuple[Alert, AlertEvent | None]] = []
        active = {k for k, a in self.alerts.items() if a.active and a.kind == "spike"}
        for key in sorted(set(tests) | active):
            before = self.alerts.get(key)
            after = step(before, tests.get(key), now, self.life)
            if after is None or after is before:
                continue
            event = None
            if is_news(before, after):
                span = span_at(after.window, now)
                group = by_slug[after.group]
                event = to_event(
                    after,
                    group,
                    self._name(after.level, after.area),
                    (span.start, span.end),
                    self.inputs.config.fdr,
                    found.covered,
                    self._incidents(after, group, span) if after.active else (),
                )
            changes.append((after, event))
        return changes


class AlertJob:
    """The faust timer's body: a cycle in a thread, then the outbox to the topic."""

    def __init__(
        self,
        settings: Settings,
        producer: Callable[[], Any],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``producer``: gives a started aiokafka producer (faust's, once it runs)."""
        self.settings = settings
        self.producer = producer
        self.clock = clock or (lambda: datetime.now(UTC))
        self.topic = Topics(settings.topic_prefix).alerts.name
        self.engine: AlertEngine | None = None

    async def tick(self) -> None:
        try:
            if self.engine is None:
                self.engine = await asyncio.to_thread(AlertEngine.of, self.settings)
            fresh = self.engine.last is None
            events = await asyncio.to_thread(self.engine.cycle, self.clock())
            if fresh and self.engine.last is not None:
                found = self.engine.last
                log.info(
                    "alert job evaluating",
                    extra={
                        "tests": len(found.tests),
                        "covered_weeks": found.covered,
                        "needed_weeks": found.needed,
                    },
                )
            for event in events:
                log.info("alert %s: %s", event.state.value, event.sentence, extra={"id": event.id})
            await self.publish()
        except Exception:  # never stop the worker over alerts; the next tick retries
            log.warning("alert evaluation failed", exc_info=True)

    async def publish(self) -> int:
        """Send the outbox; remove from it only what the broker acknowledged."""
        assert self.engine is not None
        store = self.engine.store
        sent = 0
        while True:
            pending = await asyncio.to_thread(store.pending)
            if not pending:
                return sent
            out = BatchSender(self.producer())
            for body in pending:
                event = AlertEvent.model_validate_json(body)
                await out.add(self.topic, event.id.encode(), body)
            await out.flush()
            await asyncio.to_thread(store.sent, len(pending))
            sent += len(pending)


def register_alerts(app: faust.App, settings: Settings) -> AlertJob:
    groups_of(settings)  # a bad SAFER_ALERT_GROUPS or SAFER_ALERT_RULES stops the worker
    rules_of(settings)  # at its start with a one-line error, not every tick in the log
    job = AlertJob(settings, lambda: aiokafka_of(app.producer))
    # app.timer is @no_type_check in faust; applied as a call to keep this function typed.
    app.timer(interval=settings.alert_interval_s, on_leader=True, name="safer_alerts")(job.tick)
    return job
