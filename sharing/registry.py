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

import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass, replace
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
    webhook_url: str | None = None
    webhook_secret: str | None = None
    """The Standard Webhooks signing secret (``whsec_`` + base64): the gateway signs with it,
    so it is kept as such (the file is 0600), and shown once when the webhook is set."""
    webhook_disabled: str | None = None
    """Why deliveries stopped (the endpoint answered 410 Gone), with when."""

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
        made = datetime.now(UTC).isoformat(timespec="seconds")
        fresh = Subscriber(name, digest(key), key[:SHOWN_PREFIX], made)
        if old is not None:  # a new key; its webhook, if any, stays
            fresh = replace(old, key_digest=fresh.key_digest, key_prefix=fresh.key_prefix)
            fresh = replace(fresh, created=made, revoked=None)
        subscribers[name] = fresh
        self._save(subscribers)
        return agreement, key

    def revoke(self, name: str) -> Subscriber:
        subscribers = self.load()
        old = subscribers.get(name)
        if old is None:
            raise ConfigError(f"no subscriber {name!r} in {self.path}")
        revoked = replace(
            old, revoked=old.revoked or datetime.now(UTC).isoformat(timespec="seconds")
        )
        subscribers[name] = revoked
        self._save(subscribers)
        current = self.agreements / f"{name}{AGREEMENT_SUFFIX}"
        if current.exists():
            (self.agreements / REVOKED).mkdir(exist_ok=True)
            current.replace(self.agreements / REVOKED / current.name)
        return revoked

    def set_webhook(self, name: str, url: str | None) -> str | None:
        """Deliver the subscriber's records to ``url`` (None: stop); returns the new
        signing secret (a new one each time a URL is set; deliveries resume)."""
        if url is not None and not url.startswith(("https://", "http://")):
            raise ConfigError(f"webhook URL {url!r}: http:// or https:// (https in production)")
        subscribers = self.load()
        old = subscribers.get(name)
        if old is None or not old.active:
            raise ConfigError(f"no active subscriber {name!r} in {self.path}")
        secret = (
            None if url is None else "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        )
        subscribers[name] = replace(
            old, webhook_url=url, webhook_secret=secret, webhook_disabled=None
        )
        self._save(subscribers)
        return secret

    def disable_webhook(self, name: str, reason: str) -> None:
        subscribers = self.load()
        old = subscribers.get(name)
        if old is not None:
            subscribers[name] = replace(old, webhook_disabled=reason)
            self._save(subscribers)

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
            s.name: {k: v for k, v in asdict(s).items() if k != "name"}
            for s in sorted(subscribers.values(), key=lambda s: s.name)
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(body, out, indent=2)
        tmp.replace(self.path)
