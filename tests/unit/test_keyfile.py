"""Secrets generated once in the state folder (``safer.keyfile``) and the session-signing key
setting that uses one (``Settings.signin_key``)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from safer.errors import ConfigError
from safer.keyfile import generated_secret
from safer.settings import Settings, child_env


def test_the_key_is_generated_once_private_and_passed_to_children(tmp_path: Path) -> None:
    """Unset, the signing key is made once in the state folder (0600) and reused; a child
    process gets the same value; a set key wins over the file."""
    settings = Settings(state_dir=tmp_path)
    key = settings.signin_key()
    path = tmp_path / "signin-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(state_dir=tmp_path).signin_key().get_secret_value() == key.get_secret_value()
    assert len(key.get_secret_value()) >= 40
    assert generated_secret(path) == key
    chosen = Settings(state_dir=tmp_path, signin_secret=SecretStr("chosen-key"))
    assert chosen.signin_key().get_secret_value() == "chosen-key"
    assert child_env(chosen)["SAFER_SIGNIN_SECRET"] == "chosen-key"
    assert "SAFER_SIGNIN_SECRET" not in child_env(settings)


def test_an_emptied_key_file_is_a_clear_error(tmp_path: Path) -> None:
    """A truncated key file is refused rather than signing with an empty key."""
    (tmp_path / "signin-secret").write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        Settings(state_dir=tmp_path).signin_key()
