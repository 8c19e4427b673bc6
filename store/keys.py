"""The Redis key layout — the one module that spells Redis keys.

All keys start with the configured prefix (``SAFER_REDIS_PREFIX``, default ``safer:``).

| key | type | contents |
|---|---|---|
| ``{p}meta:broker`` | string | cluster id of the Kafka log the state was built from |
| ``{p}meta:generation`` | string | live generation ``n`` of the derived state below |
| ``{p}g{n}:rec:{record_key}`` | string | ``{version}`` TAB ``{AggInput JSON}`` ("" if cancelled) |
| ``{p}g{n}:a:{grain}:{bucket}:{level}:{bd}:{la}`` | hash | ``area|category[|value]`` -> count |
| ``{p}g{n}:x:{grain}:{bucket}:{level}:{bd}:{la}`` | hash | ``area|category[|value]|s-e`` -> n |
| ``{p}g{n}:r:{kind}:{ref}`` | zset | ``record_key|level=area,…`` scored by event hour |
| ``{p}g{n}:rd:{kind}:{day}`` | hash | pseudonym -> records that day (repeat candidates) |
| ``{p}latest`` | zset | record_key scored by received time (ms), trimmed to N |
| ``{p}latest:data`` | hash | record_key -> aggregate-safe ticker row (JSON) |
| ``{p}stats:outcomes`` | hash | ``outcome|source`` -> number of messages with that outcome |
| ``{p}stats:deadletter`` | hash | ``reason|topic`` -> number of dead-lettered messages |
| ``{p}offsets:{stage}`` | hash | ``topic|partition`` -> highest offset whose effects are stored |
| ``{p}fresh:{source}`` | hash | ``received_ms`` / ``event_ms``: latest arrival and event time |

``a:`` totals count events whose home bucket lies inside the bucket; ``x:`` details hold
day-, month- and long-home events with their span ``s-e`` in epoch hours (``bd`` is the
breakdown). Every ``a:`` and
``x:`` hash is sharded by the record's local authority ``la`` (its borough-level area,
``aggregates.config.sharded``): a reader reads its partnership's authorities only, so a
refresh costs the same with one borough or all of England in Redis. Readers name a hash
without its authority (``all_time``, ``aggregates.windows.total_key``) and the reader adds
it (``store.reader``). The layout changed to sharded keys on 2026-11-23: a store written
before holds unsharded keys, which ``safer rebuild`` replaces with a sharded generation.
Grains: ``h`` (epoch hour, UTC), ``d`` (local day YYYYMMDD), ``m`` (local month YYYYMM),
``all`` and ``long`` (bucket ``-``); see ``aggregates.buckets``. Levels: borough, ward,
lsoa, cell (British National Grid 250 m), place (street or place, ``aggregates.places``).
Breakdowns: ``cat`` or a dimension (crossed with category), see ``aggregates.config``. Hour
keys expire after the hourly retention, day keys after the daily retention; months and
``all`` are kept.

Generations: record states and aggregates live under ``{p}g{n}:``; ``safer rebuild``
builds generation n+1 from the canonical topic beside the live one and swaps the pointer
atomically (writers check it in the same Lua call as their writes).

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

    @property
    def generation_pointer(self) -> str:
        """The live generation of derived state (``0`` when unset); a rebuild swaps it."""
        return f"{self.prefix}meta:generation"

    @property
    def generation_counter(self) -> str:
        return f"{self.prefix}meta:generation:last"

    def generation(self, generation: int | str) -> str:
        """Prefix of one generation's keys (pattern ``{p}g{n}:*``)."""
        return f"{self.prefix}g{generation}:"

    def record(self, record_key: str, generation: int | str) -> str:
        return f"{self.generation(generation)}rec:{record_key}"

    def aggregate(self, suffix: str, generation: int | str) -> str:
        """A total or detail hash, from its prefix-less name (``aggregates.contributions``)."""
        return self.generation(generation) + suffix

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


def all_time(level: str, breakdown: str = "cat") -> str:
    """Prefix- and authority-less name of the all-time totals of a level."""
    return f"a:{ALL_BUCKET}:{level}:{breakdown}"


def split_field(name: str) -> list[str]:
    """``area|category[|value]`` -> its parts."""
    return name.split(CELL_SEP)
