"""Which generation a client names its keys in (``store.keys``: generations).

A script that touches a generation's keys is given them in ``KEYS``, named by the client in
the generation it believes live, with the pointer key as ``KEYS[1]`` and that generation as
``ARGV[1]``. Its reply starts with a status: ``DONE``; ``MOVED`` followed by the live
generation, when the belief was wrong (the script then touched nothing else: name the keys
again in the live generation and call again); or a script's own ``AGAIN``.

The belief is a hint kept per Redis client and deployment (the dashboard builds a reader per
read over one shared client): a stale hint costs one retry, never a wrong read or write,
since every script checks it atomically with what it reads or writes.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from safer.errors import SaferError
from store.replies import text

MOVED, DONE, AGAIN = 0, 1, 2
MAX_MOVES = 8
"""Calls in a row that may find the generation moved (each one a rebuild swapped in)."""

_seen: WeakKeyDictionary[object, dict[str, str]] = WeakKeyDictionary()


class UnsettledError(SaferError):
    """What a call depends on kept changing under it: the live generation (rebuilds swapped
    in one after another), or the references a read must name."""


class Moved(Exception):  # noqa: N818  (a reply, not an error: caught to call again)
    """A script's reply: the keys it was given are not of the live generation ``live``."""

    def __init__(self, live: str) -> None:
        super().__init__(live)
        self.live = live


def last_seen(client: object, pointer: str) -> str | None:
    """The live generation last seen through this client (None: never looked)."""
    return _seen.get(client, {}).get(pointer)


def remember(client: object, pointer: str, generation: bytes | str) -> str:
    """Note the live generation a read or a reply showed; returns it as text."""
    seen = text(generation)
    _seen.setdefault(client, {})[pointer] = seen
    return seen


def ran(reply: list[Any]) -> list[Any]:
    """A checked script's reply after its status; raises ``Moved`` when the script found the
    generation moved (and did nothing)."""
    if int(reply[0]) == MOVED:
        raise Moved(text(reply[1]))
    return reply[1:]
