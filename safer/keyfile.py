"""Secrets generated once and kept in the state folder (mode 0600), never spelt in code.

A setting that is a secret but needs no operator choice in a single-machine deployment
(the dashboard's session-signing key) defaults to a random value made on first use and
stored in a file: every process of the deployment (several dashboard processes, the CLI)
reads the same value, and it survives restarts. Setting the variable overrides the file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from pydantic import SecretStr

from safer.errors import ConfigError

SECRET_BYTES = 32
FILE_MODE = 0o600


def generated_secret(path: Path) -> SecretStr:
    """The secret kept in ``path``, made (``SECRET_BYTES`` random bytes, URL-safe) on first
    use. Creation is atomic: two processes starting at once agree on one value (the file is
    written whole under a temporary name, then linked into place, which fails if another
    process got there first). A file readable by others is narrowed to 0600."""
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(FILE_MODE)
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise ConfigError(f"secret file {path} is empty: delete it to generate a new secret")
    return SecretStr(value)


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(SECRET_BYTES) + "\n")
        with contextlib.suppress(FileExistsError):  # another process was first: theirs wins
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
