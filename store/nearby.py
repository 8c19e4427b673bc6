"""Near-repeat and cross-agency matches from the geo index (``aggregates.nearby``), for the
rules of ``alerts.rules``: three round trips per evaluation, whatever the number of rules.

First the live generation (the pointer itself: a rebuild may have swapped it in since this
client last looked), then every recent trigger of every rule, with its point: a GEOSEARCH of
each week's set of the trigger categories from the partnership's centre over ``SEARCH_KM``
(the whole partnership) WITHCOORD. Then, for each trigger, a GEOSEARCH of each earlier
category's sets of the weeks its time and its baseline before it reach back to, within the
rule's distance, in one pipeline. Reads the live generation's sets; a rebuild swapped in
between the two reads at worst finds nothing in the second (the next evaluation reads the
new one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis

from aggregates.nearby import Nearby, parse_member, weeks_between
from alerts.rules import Match, Rule
from store.keys import Keys
from store.replies import text

SEARCH_KM = 500
"""Radius of the search for triggers: any partnership lies within it of its centre."""


def _everything(pipe: Any, key: str, centre: tuple[float, float]) -> None:
    """Queue a search of a whole geo set (every member with its point)."""
    pipe.geosearch(
        key, longitude=centre[1], latitude=centre[0], radius=SEARCH_KM, unit="km", withcoord=True
    )


@dataclass(frozen=True, slots=True)
class Trigger:
    found: Nearby
    lat: float
    lon: float


CACHE_S = 60.0
"""How long a trigger's match is reused: a new trigger is matched at once and a withdrawn one
leaves at once (the triggers are read every evaluation); an earlier incident that arrives
late or is withdrawn counts within this long."""
CacheKey = tuple[str, str, str, int, float, float]
"""(generation, rule, trigger record key, its hour, lat, lon)."""


class NearbyReader:
    def __init__(
        self, redis: Redis, keys: Keys, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._clock = clock
        self._cache: dict[CacheKey, tuple[float, tuple[Nearby, ...], int]] = {}

    def matches(
        self, rules: Sequence[Rule], now_hour: int, centre: tuple[float, float]
    ) -> dict[str, list[Match]]:
        """Per rule slug, each recent trigger with the earlier incidents near it and how many
        the same circle held before them (``alerts.rules``: the baseline)."""
        raw = self._redis.get(self._keys.generation_pointer)
        generation = text(raw) if raw else "0"
        triggers = self._triggers(rules, now_hour, centre, generation)
        now = self._clock()
        self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        pipe = self._redis.pipeline(transaction=False)
        asked: list[tuple[str, Trigger, str]] = []
        for rule in rules:
            for trigger in triggers[rule.slug]:
                if self._cached(generation, rule, trigger) in self._cache:
                    continue
                hour = trigger.found.hour
                for week in weeks_between(hour - int(rule.hours + rule.baseline_hours), hour):
                    for category in sorted(rule.first):
                        pipe.geosearch(
                            self._keys.geo(category, week, generation),
                            longitude=trigger.lon,
                            latitude=trigger.lat,
                            radius=rule.metres,
                            unit="m",
                        )
                        asked.append((rule.slug, trigger, category))
        replies = pipe.execute() if asked else []
        earlier: dict[tuple[str, str], dict[str, Nearby]] = {}
        before: dict[tuple[str, str], set[str]] = {}
        by_rule = {rule.slug: rule for rule in rules}
        for (slug, trigger, category), reply in zip(asked, replies, strict=True):
            rule = by_rule[slug]
            hour = trigger.found.hour
            key = (slug, trigger.found.record_key)
            for name in reply:
                found = parse_member(category, text(name))
                if found is None or found.record_key == trigger.found.record_key:
                    continue
                if hour - rule.hours <= found.hour <= hour:
                    earlier.setdefault(key, {})[found.record_key] = found
                elif hour - rule.hours - rule.baseline_hours <= found.hour < hour - rule.hours:
                    before.setdefault(key, set()).add(found.record_key)
        out: dict[str, list[Match]] = {}
        for rule in rules:
            out[rule.slug] = []
            for t in triggers[rule.slug]:
                cached = self._cached(generation, rule, t)
                if cached not in self._cache:
                    key = (rule.slug, t.found.record_key)
                    near = sorted(
                        earlier.get(key, {}).values(), key=lambda e: (e.hour, e.record_key)
                    )
                    self._cache[cached] = (now + CACHE_S, tuple(near), len(before.get(key, ())))
                _, near_t, before_n = self._cache[cached]
                out[rule.slug].append(Match(t.found, near_t, before_n))
        return out

    def points(
        self, categories: Iterable[str], start: int, end: int, centre: tuple[float, float]
    ) -> list[tuple[Nearby, float, float]]:
        """Every indexed incident of these categories that started in the epoch hours
        [start, end): (incident, lat, lon), in one round trip (``safer calibrate``)."""
        raw = self._redis.get(self._keys.generation_pointer)
        generation = text(raw) if raw else "0"
        pipe = self._redis.pipeline(transaction=False)
        asked = []
        for category in sorted(set(categories)):
            for week in weeks_between(start, end - 1):
                _everything(pipe, self._keys.geo(category, week, generation), centre)
                asked.append(category)
        out = []
        for category, reply in zip(asked, pipe.execute() if asked else [], strict=True):
            for name, (lon, lat) in reply:
                found = parse_member(category, text(name))
                if found is not None and start <= found.hour < end:
                    out.append((found, float(lat), float(lon)))
        return out

    @staticmethod
    def _cached(generation: str, rule: Rule, trigger: Trigger) -> CacheKey:
        found = trigger.found
        return (generation, rule.slug, found.record_key, found.hour, trigger.lat, trigger.lon)

    def _triggers(
        self, rules: Sequence[Rule], now_hour: int, centre: tuple[float, float], generation: str
    ) -> dict[str, list[Trigger]]:
        pipe = self._redis.pipeline(transaction=False)
        asked: list[tuple[str, str]] = []
        wanted: set[tuple[str, str]] = set()
        for rule in rules:
            for week in weeks_between(now_hour - int(rule.recent_hours), now_hour):
                for category in sorted(rule.then):
                    wanted.add((category, week))
        for category, week in sorted(wanted):
            _everything(pipe, self._keys.geo(category, week, generation), centre)
            asked.append((category, week))
        replies: list[Any] = pipe.execute() if asked else []
        points: list[Trigger] = []
        for (category, _), reply in zip(asked, replies, strict=True):
            for raw, (lon, lat) in reply:
                found = parse_member(category, text(raw))
                if found is not None:
                    points.append(Trigger(found, float(lat), float(lon)))
        return {
            rule.slug: sorted(
                (
                    t
                    for t in points
                    if rule.triggers(t.found) and now_hour - rule.recent_hours <= t.found.hour
                ),
                key=lambda t: (t.found.hour, t.found.record_key),
            )
            for rule in rules
        }
