"""The subscribers of a deployment: their agreements and API keys (no I/O but files).

An agreement is a TOML file in the agreements folder (``SAFER_AGREEMENTS``, default
``<state_dir>/agreements``): the worker's feeds read it from there. Keys live in
``<state_dir>/subscribers.json`` (mode 0600) as SHA-256 digests, never the key: an API key
is 32 random bytes, so a fast hash is as strong as a slow one and lets the gateway check a
key per request cheaply. A key is shown once, when it is made; its first characters
(``prefix``) identify it in listings and logs.

``revoke`` refuses the key from then on and moves the agreement to ``revoked/`` under the
agreements folder, so the worker stops feeding the subscriber's topic; adding the
subscriber again makes a new key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from geography.areas import Areas
from safer.errors import ConfigError
from sharing.agreements import AGREEMENT_SUFFIX, Agreement, load_agreement

KEY_PREFIX = "sk_"
SHOWN_PREFIX = 10
"""How many characters of a key identify it (``sk_`` and 7 more)."""
REVOKED = "revoked"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Subscriber:
    name: str
    key_digest: str
    key_prefix: str
    created: str
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


class Subscribers:
    """The subscribers file and the agreements folder of one deployment."""

    def __init__(self, path: Path, agreements: Path, areas: Areas | None = None) -> None:
        self.path = path
        self.agreements = agreements
        self.areas = areas

    def load(self) -> dict[str, Subscriber]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text())
            return {name: Subscriber(name=name, **fields) for name, fields in raw.items()}
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"unreadable subscribers file {self.path}: {exc}") from None

    def add(
        self, name: str, agreement_file: Path, new_key: bool = False
    ) -> tuple[Agreement, str | None]:
        """Install the subscriber's agreement (its ``subscriber`` must be ``name``); returns
        it and the new key — None when the subscriber already has an active key and
        ``new_key`` is not asked for (only the agreement changes)."""
        agreement = load_agreement(agreement_file, self.areas)
        if agreement.subscriber != name:
            raise ConfigError(
                f"{agreement_file}: the agreement is for {agreement.subscriber!r}, not {name!r}"
            )
        self.agreements.mkdir(parents=True, exist_ok=True)
        target = self.agreements / f"{name}{AGREEMENT_SUFFIX}"
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(agreement_file, tmp)
        tmp.replace(target)  # the worker never reads half a file
        subscribers = self.load()
        old = subscribers.get(name)
        if old is not None and old.active and not new_key:
            return agreement, None
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        subscribers[name] = Subscriber(
            name, digest(key), key[:SHOWN_PREFIX], datetime.now(UTC).isoformat(timespec="seconds")
        )
        self._save(subscribers)
        return agreement, key

    def revoke(self, name: str) -> Subscriber:
        subscribers = self.load()
        old = subscribers.get(name)
        if old is None:
            raise ConfigError(f"no subscriber {name!r} in {self.path}")
        revoked = Subscriber(
            old.name,
            old.key_digest,
            old.key_prefix,
            old.created,
            old.revoked or datetime.now(UTC).isoformat(timespec="seconds"),
        )
        subscribers[name] = revoked
        self._save(subscribers)
        current = self.agreements / f"{name}{AGREEMENT_SUFFIX}"
        if current.exists():
            (self.agreements / REVOKED).mkdir(exist_ok=True)
            current.replace(self.agreements / REVOKED / current.name)
        return revoked

    def authenticate(self, key: str) -> Subscriber | None:
        """The active subscriber whose key this is, else None (constant time per entry)."""
        wanted = digest(key)
        found = None
        for subscriber in self.load().values():
            if hmac.compare_digest(subscriber.key_digest, wanted) and subscriber.active:
                found = subscriber
        return found

    def _save(self, subscribers: dict[str, Subscriber]) -> None:
        body = {
            s.name: {
                "key_digest": s.key_digest,
                "key_prefix": s.key_prefix,
                "created": s.created,
                "revoked": s.revoked,
            }
            for s in sorted(subscribers.values(), key=lambda s: s.name)
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(body, out, indent=2)
        tmp.replace(self.path)
