"""Idempotent Redis writes of the stream jobs.

``AggregateWriter.apply`` turns a batch of canonical events into one read of the records'
stored states and one atomic Lua call carrying the whole batch's net deltas, with
optimistic checks that no record changed in between (retried if one did: another worker
may own the partition during a rebalance) and that the generation its keys are named in is
still live (named again and retried if a rebuild swapped it in: ``store.generation``).
Replaying any event changes nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import orjson
from redis.asyncio import Redis

from aggregates.config import AggregationConfig
from aggregates.inputs import Doc, canonical_doc
from geography.areas import Areas, load_areas
from operations.registry import Snapshot
from operations.zones import Operations
from safer.errors import SaferError
from safer.settings import Settings
from schemas.events import IncidentEvent
from store.batch_arguments import apply_arguments
from store.generation import DONE, MOVED, Moved, last_seen, ran, remember
from store.keys import Keys
from store.plan import BatchPlan, Planner, Stored, latest_versions

_HERE = Path(__file__).parent
_APPLY = (_HERE / "apply_batch.lua").read_text()
_OUTCOME = (_HERE / "record_outcome.lua").read_text()
_READ_STATES = (_HERE / "read_states.lua").read_text()
MAX_ATTEMPTS = 8


def writer_for(redis: Redis, settings: Settings) -> AggregateWriter:
    """The writer a worker (or rebuild) of these settings uses."""
    return AggregateWriter(
        redis,
        Keys(settings.redis_prefix),
        AggregationConfig.from_settings(settings),
        load_areas(settings.partnership),
        settings.latest_incidents,
    )


Fatal = Callable[[BaseException], bool]
"""Whether an exception means the infrastructure failed (raise: retry the batch later) rather
than that an event cannot be processed (isolate it); the policy is ``streams.validation``'s."""


@dataclass(frozen=True, slots=True)
class Poison:
    """An event whose planning or applying raised (alone, in a batch of its own)."""

    doc: Doc
    error: Exception


class Applied(NamedTuple):
    """What storing a batch did: (outcome, source) counts, and the events it had to skip."""

    outcomes: Counter[tuple[str, str]]
    poison: list[Poison]


@dataclass(frozen=True, slots=True)
class Planned:
    """A batch of canonical events and its effects, planned but not yet stored."""

    docs: Sequence[Doc]
    generation: int | None
    latest: dict[str, Doc]  # per record, the batch's highest version
    superseded: Counter[tuple[str, str]]  # the batch's other versions, as outcomes
    plan: BatchPlan | None  # None: nothing to store (or planning failed)
    failed: Exception | None = None  # planning raised: store it event by event


class ConcurrentUpdateError(SaferError):
    """Records kept changing under this batch (another worker owns them)."""


@dataclass(frozen=True, slots=True)
class StageOutcome:
    """One message's fate at a stage, e.g. ('police', 'validated') or a rejection."""

    topic: str
    partition: int
    offset: int
    source: str
    outcome: str
    reason: str | None = None


class AggregateWriter:
    def __init__(
        self, redis: Redis, keys: Keys, config: AggregationConfig, areas: Areas, latest_length: int
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._planner = Planner(config, areas, latest_length)
        self._config = config
        self._latest_length = latest_length
        self._apply = redis.register_script(_APPLY)
        self._read_states = redis.register_script(_READ_STATES)
        self._outcome = redis.register_script(_OUTCOME)
        self._operations: dict[str, Operations] = {}

    async def apply(
        self, events: Sequence[IncidentEvent], generation: int | None = None
    ) -> Counter[tuple[str, str]]:
        """Apply a batch of typed events (see ``apply_canonical``)."""
        return await self.apply_canonical([canonical_doc(e) for e in events], generation)

    async def apply_canonical(
        self, docs: Sequence[Doc], generation: int | None = None
    ) -> Counter[tuple[str, str]]:
        """Apply a batch of canonical events (their JSON, as on the canonical topic); returns
        (outcome, source) counts: counted, corrected, duplicate, stale, cancelled, late.

        Live (``generation=None``): into the live generation, with the ticker, freshness and
        outcome counters. Rebuild: into the given generation, aggregates and records only.
        """
        return await self.execute(await self.plan_canonical(docs, generation))

    async def plan_canonical(
        self, docs: Sequence[Doc], generation: int | None = None, fatal: Fatal | None = None
    ) -> Planned:
        """Step one of ``apply_canonical``: the batch's effects against the stored states.
        With ``fatal``, an exception it does not call fatal is kept in ``failed`` (for
        ``execute_isolating``) instead of raised."""
        latest, superseded = latest_versions(list(docs))
        try:
            plan = await self._plan(latest, generation) if latest else None
        except Exception as exc:
            if fatal is None or fatal(exc):
                raise
            return Planned(docs, generation, latest, superseded, None, exc)
        return Planned(docs, generation, latest, superseded, plan)

    async def apply_isolating(
        self, docs: Sequence[Doc], fatal: Fatal, generation: int | None = None
    ) -> Applied:
        """``apply_canonical``, but an event that cannot be planned or applied is found and
        skipped (returned as poison) while the rest of the batch is stored."""
        return await self.execute_isolating(
            await self.plan_canonical(docs, generation, fatal), fatal
        )

    async def execute_isolating(self, planned: Planned, fatal: Fatal) -> Applied:
        """``execute``; if planning or storing the batch raised (not fatally), the batch is
        split in halves, stored half by half, until each failing event is alone: those are
        the poison. Each half is one atomic call, so a half stored is stored once.
        Caveat: Redis does not roll a script back, so this relies on ``apply_batch.lua``
        raising only before its first write (decoding, checks), which bounded input and the
        Python-side planning keep true."""
        if planned.failed is None:
            try:
                return Applied(await self.execute(planned), [])
            except Exception as exc:
                if fatal(exc):
                    raise
        outcomes: Counter[tuple[str, str]] = Counter()
        carry = Counter(planned.superseded)  # stored with the first half that is stored
        poison = await self._split(planned.latest, planned.generation, fatal, outcomes, carry)
        outcomes.update(carry)  # (none was: still outcomes, though not in Redis's counters)
        return Applied(outcomes, poison)

    async def _split(
        self,
        latest: dict[str, Doc],
        generation: int | None,
        fatal: Fatal,
        outcomes: Counter[tuple[str, str]],
        carry: Counter[tuple[str, str]],
    ) -> list[Poison]:
        """Store ``latest`` (known to fail as a whole) half by half; returns the poison."""
        if len(latest) == 1:
            (doc,) = latest.values()
            try:  # alone it may pass: what failed was another event's
                outcomes.update(await self._store(latest, generation, carry))
            except Exception as exc:
                if fatal(exc):
                    raise
                return [Poison(doc, exc)]
            return []
        items = list(latest.items())
        middle = len(items) // 2
        poison: list[Poison] = []
        for half in (dict(items[:middle]), dict(items[middle:])):
            try:
                outcomes.update(await self._store(half, generation, carry))
            except Exception as exc:
                if fatal(exc):
                    raise
                poison += await self._split(half, generation, fatal, outcomes, carry)
        return poison

    async def _store(
        self, latest: dict[str, Doc], generation: int | None, carry: Counter[tuple[str, str]]
    ) -> Counter[tuple[str, str]]:
        """Plan and store records whose latest versions are known, with ``carry`` (the
        batch's superseded versions' outcomes, emptied once stored)."""
        plan = await self._plan(latest, generation)
        outcomes = await self.execute(Planned([], generation, latest, Counter(carry), plan))
        carry.clear()
        return outcomes

    async def execute(self, planned: Planned) -> Counter[tuple[str, str]]:
        """Step two: store a planned batch atomically; planned again (and again) if a record
        or the live generation changed since it was read."""
        plan, generation = planned.plan, planned.generation
        for _ in range(MAX_ATTEMPTS):
            if plan is None:
                return planned.superseded
            plan.outcomes.update(planned.superseded)  # stored with the batch's other counters
            if await self._execute(plan, live=generation is None):
                return plan.outcomes
            plan = await self._plan(planned.latest, generation)
        raise ConcurrentUpdateError(f"batch of {len(planned.latest)} records kept conflicting")

    async def _plan(self, latest: dict[str, Doc], generation: int | None) -> BatchPlan:
        live_generation, stored = await self._states(latest, generation)
        operations = await self.operations_of(live_generation)
        return self._planner.plan(
            latest, stored, live_generation, live=generation is None, operations=operations
        )

    async def operations_of(self, generation: str) -> Operations:
        """The operations a generation counts (read once per generation: a generation's
        ``ops`` key is written before its first record and never changed)."""
        found = self._operations.get(generation)
        if found is None:
            raw = await self._redis.get(self._keys.operations(generation))
            found = Snapshot.decode(raw).operations(self._planner.areas)
            self._operations = {generation: found}  # only the live one is ever needed again
        return found

    async def _states(
        self, latest: dict[str, Doc], generation: int | None
    ) -> tuple[str, dict[str, Stored | None]]:
        """The generation planned in (``generation``, else the live one) and the stored state
        of each record in it."""
        names = list(latest)
        pointer = self._keys.generation_pointer
        for _ in range(MAX_ATTEMPTS):
            named = str(generation) if generation is not None else await self._live()
            keys = [pointer, *(self._keys.record(name, named) for name in names)]
            checked = "" if generation is not None else named
            try:
                raw = ran(await self._read_states(keys=keys, args=[checked]))
            except Moved as moved:
                remember(self._redis, pointer, moved.live)
                continue
            return named, {n: Stored.parse(v or None) for n, v in zip(names, raw, strict=True)}
        raise ConcurrentUpdateError("the live generation kept moving under a batch")

    async def _live(self) -> str:
        """The live generation, as last seen (read once when never seen)."""
        pointer = self._keys.generation_pointer
        seen = last_seen(self._redis, pointer)
        if seen is None:
            seen = remember(self._redis, pointer, await self._redis.get(pointer) or b"0")
        return seen

    def ahead(self, generation: int, fatal: Fatal) -> AheadApplier:
        """A rebuild's applier that plans each chunk while Redis applies the previous one."""
        return AheadApplier(self, generation, fatal)

    async def _execute(self, plan: BatchPlan, live: bool) -> bool:
        """Apply a plan; False when a record changed since it was read or the live generation
        moved (plan again)."""
        keys, args = self._arguments(plan, live)
        reply = await self._apply(keys=keys, args=args)
        if int(reply[0]) == MOVED:
            remember(self._redis, self._keys.generation_pointer, reply[1])
        return int(reply[0]) == DONE

    def _arguments(self, plan: BatchPlan, live: bool) -> tuple[list[str], list[str | bytes]]:
        """KEYS and ARGV of ``apply_batch.lua`` (``store.batch_arguments``)."""
        ttl_ms = self._config.record_state_ttl_days * 86_400_000
        return apply_arguments(self._keys, self._planner, plan, live, ttl_ms, self._latest_length)

    async def record_outcomes(self, stage: str, outcomes: Sequence[StageOutcome]) -> int:
        """Count each message's outcome once per offset (one Lua call for the whole batch);
        returns how many were new."""
        if not outcomes:
            return 0
        k = self._keys
        rows = [
            [
                f"{o.topic}|{o.partition}",
                o.offset,
                f"{o.outcome}|{o.source}",
                f"{o.reason}|{o.topic}" if o.reason else "",
            ]
            for o in outcomes
        ]
        result = await self._outcome(
            keys=[k.offsets(stage), k.outcomes, k.deadletters], args=[orjson.dumps(rows)]
        )
        return int(result)


class AheadApplier:
    """Rebuild only, before its generation goes live: each record then has one writer (the
    process rebuilding its partition; the worker writes the live generation), so a chunk can
    be planned against the states read before the previous chunk's apply, with that chunk's
    planned states laid over them, while Redis applies it. Planning (Python) and applying
    (Redis) overlap instead of taking turns. A state that changed anyway is a loud error,
    never a wrong count (the apply script checks every record's expected version). A chunk
    that cannot be planned or applied is stored event by event (``execute_isolating``); its
    poison is collected in ``poison``."""

    def __init__(self, writer: AggregateWriter, generation: int, fatal: Fatal) -> None:
        self._writer = writer
        self._generation = generation
        self._fatal = fatal
        self._queued: tuple[BatchPlan, dict[str, Doc]] | None = None
        self.poison: list[Poison] = []

    async def add(self, docs: Sequence[Doc]) -> None:
        latest, _ = latest_versions(list(docs))
        if not latest:
            return
        _, stored = await self._writer._states(latest, self._generation)
        queued, self._queued = self._queued, None
        applying = asyncio.ensure_future(self._apply(*queued)) if queued else None
        try:
            plan = await self._plan(latest, stored, queued[0] if queued else None)
        except Exception as exc:
            if applying:
                await applying
            if self._fatal(exc):
                raise
            await self._isolate(latest)
            return
        if applying:
            await applying
        self._queued = plan, latest

    async def _plan(
        self, latest: dict[str, Doc], stored: dict[str, Stored | None], queued: BatchPlan | None
    ) -> BatchPlan:
        if queued:  # what the chunk being applied leaves behind
            for name, _, state in queued.records:
                if name in latest:
                    stored[name] = Stored.parse(state)
        # planned in a thread so that the loop sends the previous chunk to Redis meanwhile
        plan_batch = self._writer._planner.plan
        generation = str(self._generation)
        operations = await self._writer.operations_of(generation)
        return await asyncio.to_thread(plan_batch, latest, stored, generation, False, operations)

    async def flush(self) -> None:
        queued, self._queued = self._queued, None
        if queued:
            await self._apply(*queued)

    async def _apply(self, plan: BatchPlan, latest: dict[str, Doc]) -> None:
        try:
            applied = await self._writer._execute(plan, live=False)
        except Exception as exc:
            if self._fatal(exc):
                raise
            await self._isolate(latest)
            return
        if not applied:
            raise ConcurrentUpdateError("a record of the rebuild changed under it")

    async def _isolate(self, latest: dict[str, Doc]) -> None:
        docs = list(latest.values())
        applied = await self._writer.apply_isolating(docs, self._fatal, self._generation)
        self.poison += applied.poison
