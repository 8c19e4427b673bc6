"""Dashboard accounts (no Streamlit here).

Accounts live in a JSON file (``SAFER_DASHBOARD_ACCOUNTS``, default
``<state_dir>/dashboard-accounts.json``, written with mode 0600): per user name a role and a
salted PBKDF2-HMAC-SHA256 hash of the password — never the password. ``safer accounts add``
manages it. Visitors who do not sign in get the public role, unless
``SAFER_DASHBOARD_PUBLIC=false``. Signing in, sessions and lock-out: ``dashboard.signin``;
the audit log: ``dashboard.audit``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from aggregates.disclosure import Role
from dashboard.audit import AuditLog as AuditLog  # its old home: existing imports keep working
from safer.errors import SaferError

ITERATIONS = 240_000
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIN_PASSWORD = 10


class AccountError(SaferError):
    """A bad account name, role, password or accounts file."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: Role
    salt: str
    digest: str
    iterations: int = ITERATIONS

    def check(self, password: str) -> bool:
        return hmac.compare_digest(_digest(password, self.salt, self.iterations), self.digest)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the password does (a session is bound to it), never reveals it."""
        return hashlib.sha256((self.salt + self.digest).encode()).hexdigest()[:32]


def _digest(password: str, salt: str, iterations: int) -> str:
    raw = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), iterations)
    return raw.hex()


class Accounts:
    """The accounts file: read on every sign-in (so changes apply without a restart)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Account]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text())
            return {
                name: Account(name, Role(v["role"]), v["salt"], v["digest"], int(v["iterations"]))
                for name, v in raw["accounts"].items()
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise AccountError(f"unreadable accounts file {self.path}: {exc}") from exc

    def add(self, name: str, role: Role, password: str) -> Account:
        """Create or replace an account. Given its current password, only the role changes
        (its sessions go on, in the new role); a new password ends its sessions."""
        if not NAME.fullmatch(name):
            raise AccountError(
                f"account name {name!r}: lower-case letters, digits, '.', '_' or '-' (max 64)"
            )
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")
        accounts = self.load()
        old = accounts.get(name)
        if old is not None and old.check(password):
            account = Account(name, role, old.salt, old.digest, old.iterations)
        else:
            salt = secrets.token_hex(16)
            account = Account(name, role, salt, _digest(password, salt, ITERATIONS))
        accounts[name] = account
        self._save(accounts)
        return account

    def remove(self, name: str) -> bool:
        accounts = self.load()
        if accounts.pop(name, None) is None:
            return False
        self._save(accounts)
        return True

    def get(self, name: str) -> Account | None:
        return self.load().get(normal_name(name))

    def sign_in(self, name: str, password: str) -> Account | None:
        """The account if the password is right, else None (same work either way)."""
        account = self.get(name)
        return account if check_password(account, password) else None

    def _save(self, accounts: dict[str, Account]) -> None:
        body = {
            "accounts": {
                a.name: {
                    "role": a.role.value,
                    "salt": a.salt,
                    "digest": a.digest,
                    "iterations": a.iterations,
                }
                for a in sorted(accounts.values(), key=lambda a: a.name)
            }
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(body, out, indent=2)
        tmp.replace(self.path)


def normal_name(name: str) -> str:
    """Account names are case-insensitive and trimmed."""
    return name.strip().lower()


def check_password(account: Account | None, password: str) -> bool:
    """Whether ``password`` is the account's; the same work when there is no account, so
    the time taken gives no hint that a name is unknown."""
    if account is None:
        _digest(password, "00" * 16, ITERATIONS)
        return False
    return account.check(password)


def new_password() -> str:
    return secrets.token_urlsafe(12)
