"""The read scripts' calls (``read_hashes.lua``, ``read_windows.lua``, ``read_repeats.lua``)
for one deployment and set of local authorities: each call names every key it reads, in the
generation believed live (``store.keys``, ``store.generation``); ``in_live`` calls again in
the live one when a rebuild swapped it in meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from redis import Redis
from redis.client import Pipeline

from aggregates.buckets import decompose
from aggregates.hashes import HashName
from aggregates.windows import detail_hashes, total_hashes
from store.generation import AGAIN, MAX_MOVES, Moved, UnsettledError, last_seen, ran, remember
from store.keys import Keys
from store.replies import add_pairs, text

_HERE = Path(__file__).parent
_READ_HASHES = (_HERE / "read_hashes.lua").read_text()
_READ_WINDOWS = (_HERE / "read_windows.lua").read_text()
_READ_REPEATS = (_HERE / "read_repeats.lua").read_text()
Request = tuple[str, tuple[int, int]]  # (level, (start, end)) in epoch hours
Client = Redis | Pipeline
T = TypeVar("T")
MAX_NAMING_ROUNDS = 8
"""Calls of ``read_repeats.lua`` in a row that may find references it was not given."""


class ReadScripts:
    def __init__(self, redis: Redis, keys: Keys, authorities: tuple[str, ...]) -> None:
        self._redis = redis
        self._keys = keys
        self._pointer = keys.generation_pointer
        self._authorities = authorities
        self._read_hashes = redis.register_script(_READ_HASHES)
        self._read_windows = redis.register_script(_READ_WINDOWS)
        self._read_repeats = redis.register_script(_READ_REPEATS)

    def live(self) -> str:
        """The live generation, as last seen through this client (read when never seen)."""
        seen = last_seen(self._redis, self._pointer)
        if seen is None:
            seen = remember(self._redis, self._pointer, self._redis.get(self._pointer) or b"0")
        return seen

    def in_live(self, read: Callable[[str], T]) -> T:
        """``read(generation)`` in the generation believed live; again in the live one while
        a script finds it moved (``store.generation.ran`` raises ``Moved``)."""
        for _ in range(MAX_MOVES):
            try:
                return read(self.live())
            except Moved as moved:
                remember(self._redis, self._pointer, moved.live)
        raise UnsettledError("the live generation kept moving under a read")

    def _sharded(self, names: Sequence[HashName], generation: str) -> list[str]:
        """Each name's part of each authority (``read_hashes``/``read_windows`` order)."""
        k = self._keys
        return [k.aggregate(n.of(a), generation) for n in names for a in self._authorities]

    def hashes(self, distinct: Sequence[HashName], generation: str, client: Client) -> Any:
        """Call (or queue on a pipeline) ``read_hashes.lua`` for distinct authority-less names."""
        keys = [self._pointer, *self._sharded(distinct, generation)]
        return self._read_hashes(keys=keys, args=[generation], client=client)

    def merged(
        self, names: Sequence[HashName], distinct: Sequence[HashName], replies: list[Any]
    ) -> list[dict[str, int]]:
        """Each named hash: its authorities' parts added up (a grid cell on a boundary has
        records of two authorities), in the order named."""
        per = len(self._authorities)
        merged: dict[HashName, dict[str, int]] = {}
        for index, name in enumerate(distinct):
            fields: dict[str, int] = {}
            for reply in replies[index * per : (index + 1) * per]:
                add_pairs(reply, fields)
            merged[name] = fields
        return [merged[name] for name in names]

    def windows(
        self,
        distinct: Sequence[Request],
        breakdown: str,
        unplaced: bool,
        generation: str,
        client: Client,
    ) -> Any:
        """Call (or queue) ``read_windows.lua`` for distinct (level, window) pairs: per window
        its bounds and the numbers of the total and detail hashes that settle it
        (``aggregates.buckets.decompose``), each hash named once in KEYS."""
        numbers: dict[HashName, int] = {}
        args: list[str | int] = [generation, int(unplaced), len(self._authorities)]
        for level, (first, last) in distinct:
            dec = decompose(first, last)
            totals = [
                numbers.setdefault(n, len(numbers) + 1) for n in total_hashes(dec, level, breakdown)
            ]
            details = [
                numbers.setdefault(n, len(numbers) + 1)
                for n in detail_hashes(dec, level, breakdown)
            ]
            args += [first, last, len(totals), len(details), *totals, *details]
        keys = [self._pointer, *self._sharded(list(numbers), generation)]
        return self._read_windows(keys=keys, args=args, client=client)

    def repeats(
        self, level: str, span: tuple[int, int], kinds: tuple[str, ...], days: list[str]
    ) -> list[Any]:
        """``read_repeats.lua``'s counts in the live generation: called again, with those named
        too, while it finds references active in the window whose sets it was not given (the
        first call learns them all: a read of repeats takes two round trips)."""

        def read(generation: str) -> list[Any]:
            k = self._keys
            head = [self._pointer, *(k.day_index(c, d, generation) for c in kinds for d in days)]
            named: list[tuple[int, bytes | str]] = []
            for _ in range(MAX_NAMING_ROUNDS):
                sets = [k.reference(kinds[c - 1], _raw(ref), generation) for c, ref in named]
                args: list[Any] = [generation, level, *span, len(kinds), *kinds, len(days)]
                args += [x for pair in named for x in pair]
                reply = self._read_repeats(keys=[*head, *sets], args=args)
                if int(reply[0]) != AGAIN:
                    return ran(reply)
                number = {kind: c for c, kind in enumerate(kinds, 1)}
                named += [(number[text(reply[i])], reply[i + 1]) for i in range(1, len(reply), 2)]
            raise UnsettledError("references kept appearing under a read of repeats")

        return self.in_live(read)


def _number(numbers: dict[HashName, int], name: HashName) -> int:
    """A hash's number among those a read names (1-based, in the order first named)."""
    return numbers.setdefault(name, len(numbers) + 1)


def _raw(ref: bytes | str) -> bytes:
    return ref if isinstance(ref, bytes) else ref.encode()
