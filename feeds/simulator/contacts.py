"""Synthetic callers and addresses, pseudonymised as an adapter would before publishing
(``feeds.adapters.pseudonyms``). The references themselves never leave this module."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from feeds.adapters.pseudonyms import pseudonym
from feeds.simulator.places import Places
from geography.areas import Lsoa


@dataclass(frozen=True, slots=True)
class Contact:
    """Who called and about which address; ``lsoa`` is set when the address is a known one."""

    caller_ref: str | None
    address_ref: str
    lsoa: Lsoa | None


class Contacts:
    """Draws contacts: mostly one-offs, a minority from a pool of repeat addresses/callers.

    The pool is fixed-size; a repeat address always lies in the same LSOA, and usually
    (70%) the same caller reports it. Pool members are Zipf-weighted, so a few repeat a lot.
    """

    def __init__(
        self,
        key: bytes,
        places: Places,
        rng: random.Random,
        *,
        repeat_share: float = 0.2,
        pool_size: int = 60,
    ) -> None:
        self._key = key
        self._repeat_share = repeat_share
        self._pool = [places.lsoa(rng) for _ in range(pool_size)]
        self._pool_weights = [1.0 / (rank + 1) for rank in range(pool_size)]
        self._serial = itertools.count(1)

    def draw(self, rng: random.Random, *, with_caller: bool = True) -> Contact:
        if rng.random() < self._repeat_share:
            return self._repeat(rng, with_caller=with_caller)
        serial = next(self._serial)
        caller = self._ref(f"caller-{serial}") if with_caller else None
        return Contact(caller, self._ref(f"address-{serial}"), None)

    def _repeat(self, rng: random.Random, *, with_caller: bool) -> Contact:
        index = rng.choices(range(len(self._pool)), weights=self._pool_weights)[0]
        same_caller = rng.random() < 0.7
        caller_reference = f"caller-R{index}" if same_caller else f"caller-{next(self._serial)}"
        caller = self._ref(caller_reference) if with_caller else None
        return Contact(caller, self._ref(f"address-R{index}"), self._pool[index])

    def _ref(self, reference: str) -> str:
        return pseudonym(self._key, reference)
