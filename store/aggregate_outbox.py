"""The aggregate change outbox (``aggregates:outbox``): cells whose counts an applied batch
changed (written by ``apply_batch.lua`` with the counts, ``store.batch_arguments``), read
back with their absolute counts and a version, and removed once they are on the topic.

A cell is ``grain|bucket|level|authority|area|category``. Reading a chunk takes one
transaction: the live generation, a new version (``aggregates:version``, INCR) and every
cell's count, so versions follow the order in which counts were read — a consumer that
keeps the highest version per cell keeps the newest count. A cell changed again while it
was being published keeps its place (its score moved on) and is published again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis

from aggregates.buckets import DAY, hour_start
from aggregates.hashes import TOTALS, HashName
from store.keys import Keys

_REMOVE_UNCHANGED = """
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
"""


@dataclass(frozen=True, slots=True)
class CellCount:
    level: str
    area: str
    category: str
    grain: str  # "day" or "hour"
    bucket: str  # YYYY-MM-DD or the hour's UTC start
    count: int
    version: int
    changed_at: datetime

    @property
    def key(self) -> str:
        return f"{self.level}|{self.area}|{self.category}|{self.grain}|{self.bucket}"


class AggregateOutbox:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._remove = redis.register_script(_REMOVE_UNCHANGED)

    async def pending(self, limit: int = 1000) -> tuple[list[CellCount], list[tuple[bytes, float]]]:
        """Up to ``limit`` changed cells with their counts now, and what to remove once
        they are sent (each cell with the score it was read at)."""
        entries: list[tuple[bytes, float]] = await self.redis.zrange(  # type: ignore[assignment]
            self.keys.aggregates_outbox, 0, limit - 1, withscores=True
        )
        if not entries:
            return [], []
        pointer: bytes | None = await self.redis.get(self.keys.generation_pointer)  # type: ignore[assignment]
        generation = (pointer or b"0").decode()
        cells = [_parse(member.decode()) for member, _ in entries]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(self.keys.aggregates_version)
            for grain, bucket, level, authority, field in cells:
                name = HashName(TOTALS, grain, bucket, level, "cat", authority)
                pipe.hget(self.keys.aggregate(name, generation), field)
            replies = await pipe.execute()
        version = int(replies[0])
        at = datetime.now(UTC)
        counts = [
            _count(cell, int(raw or 0), version, at)
            for cell, raw in zip(cells, replies[1:], strict=True)
        ]
        return counts, entries

    async def sent(self, entries: list[tuple[bytes, float]]) -> int:
        """Remove the cells sent, unless they changed again since they were read."""
        args: list[bytes | str] = []
        for member, score in entries:
            args += [member, _score_text(score)]
        return int(await self._remove(keys=[self.keys.aggregates_outbox], args=args))

    async def size(self) -> int:
        return int(await self.redis.zcard(self.keys.aggregates_outbox))


def _parse(member: str) -> tuple[str, str, str, str, str]:
    grain, bucket, level, authority, field = member.split("|", 4)
    return grain, bucket, level, authority, field


def _count(
    cell: tuple[str, str, str, str, str], count: int, version: int, at: datetime
) -> CellCount:
    grain, bucket, level, _, field = cell
    area, category = field.split("|", 1)
    if grain == DAY:
        when, named = f"{bucket[:4]}-{bucket[4:6]}-{bucket[6:]}", "day"
    else:
        when, named = hour_start(int(bucket)).strftime("%Y-%m-%dT%H:00:00Z"), "hour"
    return CellCount(level, area, category, named, when, max(count, 0), version, at)


def _score_text(score: float) -> str:
    """A score as ZSCORE prints it (whole milliseconds)."""
    return str(int(score)) if score == int(score) else repr(score)
