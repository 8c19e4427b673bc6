"""Subscribers' API keys and agreements: a key is shown once and stored hashed, re-adding
keeps it unless asked, revoking refuses it and stops the feed (the agreement moves away)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from safer.errors import ConfigError
from safer.settings import Settings
from sharing.agreements import load_agreements
from sharing.registry import Subscribers
from tests.integration.worker import safer_cli

AGREEMENT = """subscriber = "fire-prevention"
sources = ["fire"]
level = "records"
precision = "ward"
fields = ["category", "occurred", "cause"]
"""


def test_keys_are_shown_once_stored_hashed_and_revocable(tmp_path: Path) -> None:
    source = tmp_path / "fp.toml"
    source.write_text(AGREEMENT)
    registry = Subscribers(tmp_path / "subscribers.json", tmp_path / "agreements")
    agreement, key = registry.add("fire-prevention", source)
    assert key is not None
    assert key.startswith("sk_")
    assert len(key) > 40
    stored = (tmp_path / "subscribers.json").read_text()
    assert key not in stored
    assert stat.S_IMODE((tmp_path / "subscribers.json").stat().st_mode) == 0o600
    assert json.loads(stored)["fire-prevention"]["key_prefix"] == key[:10]
    assert registry.authenticate(key) is not None
    assert registry.authenticate(key + "x") is None
    assert list(load_agreements(tmp_path / "agreements")) == ["fire-prevention"]

    again, unchanged = registry.add("fire-prevention", source)
    assert unchanged is None
    assert again.revision == agreement.revision
    assert registry.authenticate(key) is not None
    _, rotated = registry.add("fire-prevention", source, new_key=True)
    assert rotated is not None
    assert registry.authenticate(key) is None
    assert registry.authenticate(rotated) is not None

    registry.revoke("fire-prevention")
    assert registry.authenticate(rotated) is None
    assert load_agreements(tmp_path / "agreements") == {}  # the worker stops feeding it
    assert (tmp_path / "agreements" / "revoked" / "fire-prevention.toml").exists()
    _, renewed = registry.add("fire-prevention", source)
    assert renewed is not None  # adding a revoked subscriber again makes a new key
    assert registry.authenticate(renewed) is not None


def test_an_agreement_for_someone_else_or_no_one_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "fp.toml"
    source.write_text(AGREEMENT)
    registry = Subscribers(tmp_path / "subscribers.json", tmp_path / "agreements")
    with pytest.raises(ConfigError, match="the agreement is for 'fire-prevention', not 'cctv'"):
        registry.add("cctv", source)
    with pytest.raises(ConfigError, match="no subscriber 'cctv'"):
        registry.revoke("cctv")
    assert not (tmp_path / "agreements" / "cctv.toml").exists()


def test_the_command_prints_the_key_once_and_lists_subscribers(tmp_path: Path) -> None:
    source = tmp_path / "fp.toml"
    source.write_text(AGREEMENT)
    settings = Settings(state_dir=tmp_path / "state")
    added = safer_cli(settings, "subscribers", "add", "fire-prevention", "--agreement", str(source))
    assert added.returncode == 0, added.stderr
    key = next(line.split(": ")[1] for line in added.stdout.splitlines() if "API key" in line)
    listed = safer_cli(settings, "subscribers", "list")
    assert "fire-prevention\tactive\t" + key[:10] in listed.stdout
    assert key not in listed.stdout
    bad = safer_cli(settings, "subscribers", "add", "cctv", "--agreement", str(source))
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_broken_agreement_refuses_its_own_key_only(tmp_path: Path) -> None:
    from gateway.access import KeyRing

    registry = Subscribers(tmp_path / "subscribers.json", tmp_path / "agreements")
    keys = {}
    for name in ("fire-prevention", "cctv"):
        source = tmp_path / f"{name}.toml"
        source.write_text(AGREEMENT.replace("fire-prevention", name))
        keys[name] = registry.add(name, source)[1]
    ring = KeyRing(registry, recheck_s=0.0)
    assert ring.caller(str(keys["cctv"])) is not None
    (tmp_path / "agreements" / "cctv.toml").write_text('subscriber = "cctv"\nsources = "all"\n')
    assert ring.caller(str(keys["cctv"])) is None
    found = ring.caller(str(keys["fire-prevention"]))
    assert found is not None
    assert found.agreement.subscriber == "fire-prevention"
