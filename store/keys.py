"""The Redis key layout — the one module that spells Redis keys.

All keys start with the configured prefix (``SAFER_REDIS_PREFIX``, default ``safer:``).

| key | type | contents |
|---|---|---|
| ``{p}meta:broker`` | string | cluster id of the Kafka log the state was built from |
| ``{p}rec:{record_key}`` | string | ``{version}`` TAB ``{AggInput JSON}`` (empty when cancelled) |
| ``{p}a:{grain}:{bucket}:{level}:{bd}`` | hash | ``area|category[|value]`` -> count |
| ``{p}x:{grain}:{bucket}:{level}:{bd}`` | hash | ``area|category[|value]|start-end`` -> count |
| ``{p}latest`` | zset | record_key scored by received time (ms), trimmed to N |
| ``{p}latest:data`` | hash | record_key -> aggregate-safe ticker row (JSON) |
| ``{p}stats:outcomes`` | hash | ``outcome|source`` -> number of messages with that outcome |
| ``{p}stats:deadletter`` | hash | ``reason|topic`` -> number of dead-lettered messages |
| ``{p}offsets:{stage}`` | hash | ``topic|partition`` -> highest offset whose effects are stored |
| ``{p}fresh:{source}`` | hash | ``received_ms`` / ``event_ms``: latest arrival and event time |

``a:`` totals count events whose home bucket lies inside the bucket; ``x:`` details hold
day-, month- and long-home events with their span (``bd`` is the breakdown).
Grains: ``h`` (epoch hour, UTC), ``d`` (local day YYYYMMDD), ``m`` (local month YYYYMM),
``all`` and ``long`` (bucket ``-``); see ``aggregates.buckets``. Levels: borough, ward,
lsoa, cell (British National Grid 250 m). Breakdowns: ``cat`` or a dimension (crossed
with category), see ``aggregates.config``. Hour keys expire after the hourly retention,
day keys after the daily retention; months and ``all`` are kept.

Idempotency: a record's contribution changes only when a higher ``version`` arrives (the
``rec`` value holds what it contributed, so it is retracted exactly), and stage counters
move only for offsets beyond the stored high-water mark: replaying any message is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

from aggregates.buckets import ALL_BUCKET

CELL_SEP = "|"


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "safer:"

    @property
    def broker_stamp(self) -> str:
        return f"{self.prefix}meta:broker"

    def record(self, record_key: str) -> str:
        return f"{self.prefix}rec:{record_key}"

    def aggregate(self, suffix: str) -> str:
        """A total or detail hash, from its prefix-less name (``aggregates.contributions``)."""
        return self.prefix + suffix

    def all_time(self, level: str, breakdown: str = "cat") -> str:
        return f"{self.prefix}a:{ALL_BUCKET}:{level}:{breakdown}"

    @property
    def latest(self) -> str:
        return f"{self.prefix}latest"

    @property
    def latest_data(self) -> str:
        return f"{self.prefix}latest:data"

    @property
    def outcomes(self) -> str:
        return f"{self.prefix}stats:outcomes"

    @property
    def deadletters(self) -> str:
        return f"{self.prefix}stats:deadletter"

    def offsets(self, stage: str) -> str:
        return f"{self.prefix}offsets:{stage}"

    def freshness(self, source: str) -> str:
        return f"{self.prefix}fresh:{source}"

    @property
    def pattern(self) -> str:
        """Glob matching every key of this deployment (for a reset)."""
        return f"{self.prefix}*"


def split_field(name: str) -> list[str]:
    """``area|category[|value]`` -> its parts."""
    return name.split(CELL_SEP)
