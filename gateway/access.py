"""Who is calling the gateway, and how often they may.

- **Keys**: ``Authorization: Bearer <key>``, checked against the subscribers file
  (``sharing.registry``: SHA-256 digests), re-read when the file changes (looked at once a
  second), so a key revoked with ``safer subscribers revoke`` is refused within a second —
  and an open stream of it is closed within ``RECHECK_S``.
- **Rate limits**: a token bucket per key (``SAFER_GATEWAY_RATE`` a second sustained,
  ``SAFER_GATEWAY_BURST`` at once); past it, 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from safer.errors import ConfigError
from sharing.agreements import AGREEMENT_SUFFIX, Agreement, load_agreement
from sharing.registry import Subscriber, Subscribers, digest

log = logging.getLogger(__name__)
RECHECK_S = 5.0
"""How often an open stream checks that its key is still valid."""


@dataclass(frozen=True, slots=True)
class Caller:
    subscriber: Subscriber
    agreement: Agreement


class KeyRing:
    """Subscribers by key digest, re-read when the subscribers file or agreements change."""

    def __init__(self, registry: Subscribers, recheck_s: float = 1.0) -> None:
        self.registry = registry
        self.recheck_s = recheck_s
        self._stamp: tuple[float, ...] | None = None
        self._checked = float("-inf")
        self._by_digest: dict[str, Caller] = {}

    def caller(self, key: str) -> Caller | None:
        """The active subscriber holding this key, with its agreement (None: refused)."""
        self._refresh()
        return self._by_digest.get(digest(key))

    def callers(self) -> list[Caller]:
        """Every active subscriber with its agreement."""
        self._refresh()
        return list(self._by_digest.values())

    def caller_by_name(self, name: str) -> Caller | None:
        """The subscriber ``name`` if it is still active (an open stream's re-check)."""
        self._refresh()
        return next((c for c in self._by_digest.values() if c.subscriber.name == name), None)

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.recheck_s:
            return  # the files are looked at once a second, not on every request
        self._checked = now
        folder = self.registry.agreements
        files = sorted(folder.glob(f"*{AGREEMENT_SUFFIX}")) if folder.is_dir() else []
        stamp = tuple(_mtime(p) for p in [self.registry.path, folder, *files])
        if stamp == self._stamp:
            return
        found: dict[str, Caller] = {}
        for sub in self.registry.load().values():
            path = self.registry.agreements / f"{sub.name}{AGREEMENT_SUFFIX}"
            if not (sub.active and path.exists()):
                continue
            try:
                found[sub.key_digest] = Caller(sub, load_agreement(path, self.registry.areas))
            except ConfigError as exc:  # one broken file refuses its own key, nobody else's
                log.error("agreement not loaded: its key is refused", extra={"error": str(exc)})
        self._by_digest, self._stamp = found, stamp


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns / 1e9
    except FileNotFoundError:
        return 0.0


@dataclass
class RateLimits:
    rate: float
    burst: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, who: str, now: float | None = None) -> float:
        """Take one request for ``who``: 0 if allowed, else seconds until one is."""
        now = time.monotonic() if now is None else now
        tokens, at = self._buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[who] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self._buckets[who] = (tokens - 1.0, now)
        return 0.0
