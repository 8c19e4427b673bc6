"""The Redis key layout — the one module that spells Redis keys.

All keys start with the configured prefix (``SAFER_REDIS_PREFIX``, default ``safer:``).

| key | type | contents |
|---|---|---|
| ``{p}meta:broker`` | string | cluster id of the Kafka log the state was built from |
| ``{p}rec:{record_key}`` | hash | ``v`` highest version applied, ``c`` its count cell |
| ``{p}count:source_ward_category`` | hash | ``source|ward|category`` -> live incident count |
| ``{p}latest`` | zset | record_key scored by reported/received time (ms), trimmed to N |
| ``{p}latest:data`` | hash | record_key -> aggregate-safe ticker row (JSON) |
| ``{p}stats:outcomes`` | hash | ``outcome|source`` -> number of messages with that outcome |
| ``{p}stats:deadletter`` | hash | ``reason|topic`` -> number of dead-lettered messages |
| ``{p}offsets:{stage}`` | hash | ``topic|partition`` -> highest offset whose effects are stored |
| ``{p}fresh:{source}`` | hash | ``received_ms`` / ``event_ms``: latest arrival and event time |

Idempotency: a record's count cell changes only when a higher ``version`` arrives (the
``rec`` hash remembers what it last contributed), and stage counters move only for offsets
beyond the stored high-water mark, so replaying any message is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

UNASSIGNED_WARD = "unassigned"
CELL_SEP = "|"


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "safer:"

    @property
    def broker_stamp(self) -> str:
        return f"{self.prefix}meta:broker"

    def record(self, record_key: str) -> str:
        return f"{self.prefix}rec:{record_key}"

    @property
    def counts(self) -> str:
        return f"{self.prefix}count:source_ward_category"

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


def count_cell(source: str, ward: str | None, category: str) -> str:
    return CELL_SEP.join((source, ward or UNASSIGNED_WARD, category))


def split_cell(cell: str) -> tuple[str, str, str]:
    source, ward, category = cell.split(CELL_SEP)
    return source, ward, category
