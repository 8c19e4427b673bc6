"""The Redis key layout — the one module that spells or parses a Redis key.

All keys start with the configured prefix (``SAFER_REDIS_PREFIX``, default ``safer:``).

| key | type | contents |
|---|---|---|
| ``{p}meta:broker`` | string | cluster id of the Kafka log the state was built from |
| ``{p}meta:generation`` | string | live generation ``n`` of the derived state below |
| ``{p}meta:simulated`` | hash | the simulated history in the log: start, end, messages, rate |
| ``{p}g{n}:ops`` | string | the operations this generation counts (``operations.registry``) |
| ``{p}g{n}:rec:{record_key}`` | string | ``{version}`` TAB ``{AggInput JSON}`` ("" if cancelled) |
| ``{p}g{n}:a:{grain}:{bucket}:{level}:{bd}:{la}`` | hash | ``area|category[|value]`` -> count |
| ``{p}g{n}:x:{grain}:{bucket}:{level}:{bd}:{la}`` | hash | ``area|category[|value]|s-e`` -> n |
| ``{p}g{n}:r:{kind}:{ref}`` | zset | ``record_key|level=area,…`` scored by event hour |
| ``{p}g{n}:geo:{category}:{week}`` | zset | ``record_key|hour|ward|cause|youth`` at its point |
| ``{p}g{n}:rd:{kind}:{day}`` | hash | pseudonym -> records that day (repeat candidates) |
| ``{p}latest`` | zset | record_key scored by received time (ms), trimmed to N |
| ``{p}latest:data`` | hash | record_key -> aggregate-safe ticker row (JSON) |
| ``{p}meta:backfill`` | hash | progress of the operations back-fill: digest, state, done, total |
| ``{p}meta:backfill:lock`` | string | who runs the back-fill (expires) |
| ``{p}alerts:active`` | hash | ``level|area|group|window`` -> the active alert (JSON) |
| ``{p}alerts:outbox`` | list | AlertEvent JSON written with the state, not yet on the topic |
| ``{p}alerts:status`` | hash | the last evaluation: at, tests, covered and needed weeks |
| ``{p}alerts:acknowledged`` | hash | alert id -> who acknowledged it, when (JSON) |
| ``{p}alerts:log`` | stream | every AlertEvent (JSON in field ``e``), newest last, capped |
| ``{p}sub:{name}:state`` | hash | a subscriber topic's ``revision`` and ``generation`` |
| ``{p}sub:{name}:shared`` | hash | record_key -> version sent (records); cell -> shown (counts) |
| ``{p}sub:{name}:held`` | zset | shared messages (JSON) held for the agreed delay, by release |
| ``{p}sub:{name}:cells:{day}`` | hash | ``ward|category`` -> ``version|count`` (exact; not sent) |
| ``{p}sub:{name}:dirty`` | set | days whose cells changed since last published |
| ``{p}sub:{name}:version`` | string | aggregates feeds: the last message version sent |
| ``{p}sub:{name}:lock`` | string | who rebuilds the subscriber's topic (expires) |
| ``{p}ingest:{name}:{digest}`` | string | an ingest's response by its Idempotency-Key (expires) |
| ``{p}webhook:{name}:failed`` | stream | webhook messages not delivered: offset, id, reason |
| ``{p}aggregates:outbox`` | zset | changed cells ``grain|bucket|level|authority|area|category`` |
| ``{p}aggregates:version`` | string | the version of the last aggregate changes published |
| ``{p}stats:outcomes`` | hash | ``outcome|source`` -> number of messages with that outcome |
| ``{p}stats:deadletter`` | hash | ``reason|topic`` -> number of dead-lettered messages |
| ``{p}offsets:{stage}`` | hash | ``topic|partition`` -> highest offset whose effects are stored |
| ``{p}fresh:{source}`` | hash | ``received_ms`` / ``event_ms``: latest arrival and event time |
| ``{p}delay:{day}`` | hash | ``category|width|bucket`` -> first arrivals that UTC day |

``a:`` totals count events whose home bucket lies inside the bucket; ``x:`` details hold
day-, month- and long-home events with their span ``s-e`` in epoch hours (``bd`` is the
breakdown). Every ``a:`` and ``x:`` hash is sharded by the record's local authority ``la``
(its borough-level area, ``aggregates.hashes``): a reader reads its partnership's
authorities only, so a refresh costs the same with one borough or all of England in Redis.
Code outside this module names a key by its parts (``aggregates.hashes.HashName``, a record
key, a reference's kind and pseudonym) and asks ``Keys`` to spell it. The layout changed to
sharded keys on 2026-11-23: a store written before holds unsharded keys, which
``safer rebuild`` replaces with a sharded generation.
Grains: ``h`` (epoch hour, UTC), ``d`` (local day YYYYMMDD), ``m`` (local month YYYYMM),
``all`` and ``long`` (bucket ``-``); see ``aggregates.buckets``. Levels: borough, ward,
lsoa, cell (British National Grid 250 m), place (street or place, ``aggregates.places``),
zone (operation zones) and wider (the comparison area, ``geography.comparison``: field
``authority|category``, ``la`` that authority — a comparison authority outside the
partnership has keys of this level only, so no partnership read, which names only the
partnership's ``la``, ever sees it; a store counted before 2026-12-04 needs ``safer
rebuild`` to fill it). Breakdowns: ``cat`` or a dimension (crossed with category), see
``aggregates.config``. Hour keys expire after the hourly retention, day keys after the
daily retention; months and ``all`` are kept.

Generations: record states and aggregates live under ``{p}g{n}:``; ``safer rebuild``
builds generation n+1 from the canonical topic beside the live one and swaps the pointer
atomically. Every Lua script is given every key it touches in ``KEYS``, spelled here (never
built inside the script: Redis Cluster requires it too), so a client names generation n's
keys before it calls: it passes the pointer key as ``KEYS[1]`` and n as ``ARGV[1]``, and the
script first checks ``GET pointer == n``. When it is not (a rebuild was swapped in since the
client last looked), the script touches nothing else and replies "moved" with the live
generation; the client names the keys again in that one and retries (``store.generation``
keeps the last generation seen). Writes stay atomic with the swap: a batch lands wholly in
the generation that is live when it lands, or is planned again.

Idempotency: a record's contribution changes only when a higher ``version`` arrives (the
``rec`` value holds what it contributed, so it is retracted exactly), and stage counters
move only for offsets beyond the stored high-water mark: replaying any message is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

from aggregates.hashes import DETAIL, TOTALS, HashName

CELL_SEP = "|"
KEY_SEP = ":"
_HASH_KINDS = {TOTALS: "a", DETAIL: "x"}
_KIND_OF_HASH = {spelled: kind for kind, spelled in _HASH_KINDS.items()}
RECORD, REFERENCE, DAY_INDEX, OPERATIONS, GEO = "rec", "r", "rd", "ops", "geo"
"""Kinds of a generation's keys besides the aggregate hashes (``a`` totals, ``x`` details)."""


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "safer:"

    @property
    def broker_stamp(self) -> str:
        return f"{self.prefix}meta:broker"

    @property
    def simulated_history(self) -> str:
        """What simulated history the log holds (``store.simulated``); reset with the rest
        when the log changes."""
        return f"{self.prefix}meta:simulated"

    @property
    def backfill(self) -> str:
        """Progress of the back-fill that counts an added or edited operation."""
        return f"{self.prefix}meta:backfill"

    @property
    def backfill_lock(self) -> str:
        return f"{self.prefix}meta:backfill:lock"

    @property
    def alerts_active(self) -> str:
        """Active alerts by their window (not per generation: a rebuild keeps them)."""
        return f"{self.prefix}alerts:active"

    @property
    def alerts_outbox(self) -> str:
        return f"{self.prefix}alerts:outbox"

    @property
    def alerts_status(self) -> str:
        return f"{self.prefix}alerts:status"

    @property
    def alerts_acknowledged(self) -> str:
        return f"{self.prefix}alerts:acknowledged"

    @property
    def alerts_log(self) -> str:
        return f"{self.prefix}alerts:log"

    def subscriber(self, name: str, part: str) -> str:
        """A subscriber's fan-out state (``streams.subscribers``): part is ``state``,
        ``shared``, ``held`` or ``lock``. Not per generation: its topic outlives rebuilds."""
        if part not in SUBSCRIBER_PARTS:
            raise ValueError(f"no subscriber key part {part!r}")
        return f"{self.prefix}sub:{name}:{part}"

    def subscriber_cells(self, name: str, day: str) -> str:
        """An aggregates feed's exact counts of one day (``streams.subscribers``)."""
        return f"{self.prefix}sub:{name}:cells:{day}"

    def ingest(self, subscriber: str, key_digest: str) -> str:
        """The gateway's record of one ingest request (``gateway.ingest``), by the SHA-256
        of its Idempotency-Key."""
        return f"{self.prefix}ingest:{subscriber}:{key_digest}"

    @property
    def aggregates_outbox(self) -> str:
        """Cells changed by applied batches, not yet on the aggregate change stream
        (``streams.aggregate_changes``): written in the same script as the counts."""
        return f"{self.prefix}aggregates:outbox"

    @property
    def aggregates_version(self) -> str:
        return f"{self.prefix}aggregates:version"

    def webhook_failed(self, subscriber: str) -> str:
        """Webhook messages given up on (``gateway.webhooks``), newest last, capped."""
        return f"{self.prefix}webhook:{subscriber}:failed"

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

    @property
    def generations(self) -> str:
        """Glob matching every generation's keys (and possibly others: ``generation_of``)."""
        return f"{self.prefix}g*"

    def generation_of(self, key: bytes | str) -> int | None:
        """The generation a key of this deployment belongs to (None: not a generation's)."""
        text = key.decode() if isinstance(key, bytes) else key
        if not text.startswith(f"{self.prefix}g"):
            return None
        number = text[len(self.prefix) + 1 :].partition(KEY_SEP)[0]
        return int(number) if number.isdigit() else None

    def operations(self, generation: int | str) -> str:
        """The operations a generation counts in its ``zone`` level: written once, before
        any record of the generation (a rebuild's first step), never changed."""
        return f"{self.generation(generation)}{OPERATIONS}"

    def record(self, record_key: str, generation: int | str) -> str:
        return f"{self.generation(generation)}{RECORD}:{record_key}"

    def aggregate(self, name: HashName, generation: int | str) -> str:
        """A total or detail hash (``aggregates.hashes``), one local authority's part."""
        if not name.authority:
            raise ValueError(f"an aggregate hash is sharded: {name} names no authority")
        kind = _HASH_KINDS[name.kind]
        return (
            f"{self.prefix}g{generation}:{kind}:{name.grain}:{name.bucket}:"
            f"{name.level}:{name.breakdown}:{name.authority}"
        )

    @overload
    def reference(self, kind: str, ref: str, generation: int | str) -> str: ...
    @overload
    def reference(self, kind: str, ref: bytes, generation: int | str) -> bytes: ...
    def reference(self, kind: str, ref: str | bytes, generation: int | str) -> str | bytes:
        """A pseudonymised reference's sorted set of records (``aggregates.repeats``); of a
        reference read back from Redis as bytes, as bytes (a read never decodes one)."""
        if isinstance(ref, bytes):
            return self.reference(kind, "", generation).encode() + ref
        return f"{self.generation(generation)}{REFERENCE}:{kind}:{ref}"

    def geo(self, category: str, week: str, generation: int | str) -> str:
        """The incidents of a category that started in an epoch week (hours // 168), by
        point (``aggregates.nearby``)."""
        return f"{self.generation(generation)}{GEO}:{category}:{week}"

    def day_index(self, kind: str, day: str, generation: int | str) -> str:
        """The references of a kind active on a local day (YYYYMMDD), with their records."""
        return f"{self.generation(generation)}{DAY_INDEX}:{kind}:{day}"

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

    def delays(self, day: str) -> str:
        """Reporting delays of the records first received on a UTC day (YYYYMMDD); live
        traffic only, kept as long as hourly data."""
        return f"{self.prefix}delay:{day}"

    @property
    def pattern(self) -> str:
        """Glob matching every key of this deployment (for a reset)."""
        return f"{self.prefix}*"

    def kind_of(self, key: bytes | str) -> str | None:
        """A key's row of the table above, by its first word after the prefix and generation
        (``rec``, ``a``, ``x``, ``r``, ``rd``, ``latest``, ``stats``, ``offsets``, ``fresh``,
        ``meta``); None for another deployment's key."""
        text = key.decode() if isinstance(key, bytes) else key
        if not text.startswith(self.prefix):
            return None
        parts = text[len(self.prefix) :].split(KEY_SEP)
        if self.generation_of(text) is not None and len(parts) > 1:
            return parts[1]
        return parts[0]

    def hash_of(self, key: bytes | str) -> HashName | None:
        """The aggregate hash a key names (None: not an aggregate hash of this deployment)."""
        text = key.decode() if isinstance(key, bytes) else key
        if self.generation_of(text) is None:
            return None
        parts = text[len(self.prefix) :].split(KEY_SEP)
        if len(parts) != 7 or parts[1] not in _KIND_OF_HASH:
            return None
        _, kind, grain, bucket, level, breakdown, authority = parts
        return HashName(_KIND_OF_HASH[kind], grain, bucket, level, breakdown, authority)


SUBSCRIBER_PARTS = frozenset({"state", "shared", "held", "lock", "dirty", "version"})


def split_field(name: str) -> list[str]:
    """``area|category[|value]`` -> its parts."""
    return name.split(CELL_SEP)
