"""The sidebar's sign-in under Streamlit's AppTest (the real app script, a real
redis-server): the lock-out message, and a signed-in session that follows the accounts
file on the next rerun."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from aggregates.disclosure import Role
from dashboard.access import Accounts
from dashboard.audit import AuditLog
from safer.settings import Settings

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PASSWORD = "partner-password-1"


@pytest.fixture
def app_env(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Settings]:
    """The app on this test's Redis namespace and state folder, with one partner account."""
    state = tmp_path / "app-state"
    monkeypatch.setenv("SAFER_REDIS_URL", settings.require_redis())
    monkeypatch.setenv("SAFER_REDIS_PREFIX", settings.redis_prefix)
    monkeypatch.setenv("SAFER_STATE_DIR", str(state))
    st.cache_data.clear()
    app_settings = settings.model_copy(update={"state_dir": state})
    Accounts(app_settings.accounts_path).add("pat", Role.PARTNER, PASSWORD)
    yield app_settings
    st.cache_data.clear()


def submit(at: AppTest, name: str, password: str) -> AppTest:
    at.sidebar.text_input[0].input(name)
    at.sidebar.text_input[1].input(password)
    at.sidebar.button[0].click().run()
    assert not at.exception
    return at


def started() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    assert not at.exception
    return at


def signed_in_as(at: AppTest) -> str | None:
    shown = [m.value for m in at.sidebar.markdown if m.value.startswith("Signed in as")]
    return shown[0] if shown else None


def test_five_wrong_passwords_lock_the_account_and_say_until_when(app_env: Settings) -> None:
    """After five wrong passwords even the right one is refused, with the time to try again;
    an unknown name gets the same words."""
    at = started()
    for _ in range(5):
        submit(at, "pat", "wrong-password-1")
    submit(at, "pat", PASSWORD)
    assert signed_in_as(at) is None
    assert [e.value for e in at.error][-1].startswith("Too many failed attempts; try again after ")
    for _ in range(5):
        submit(at, "nobody", "wrong-password-1")
    assert [e.value for e in at.error][-1].startswith("Too many failed attempts; try again after ")
    actions = [e["action"] for e in AuditLog(app_env.audit_path).entries()]
    assert actions.count("lock-out") == 2
    assert actions.count("sign-in-failed") == 11


def test_a_role_change_applies_on_the_next_rerun(app_env: Settings) -> None:
    """Re-adding the account with its password and another role changes the signed-in role
    at the next rerun, without signing out."""
    at = submit(started(), "pat", PASSWORD)
    assert signed_in_as(at) == "Signed in as **pat** (partner)"
    Accounts(app_env.accounts_path).add("pat", Role.ANALYST, PASSWORD)
    at.run()
    assert signed_in_as(at) == "Signed in as **pat** (analyst)"


@pytest.mark.parametrize("change", ["new-password", "removed"])
def test_a_new_password_or_removal_signs_out_on_the_next_rerun(
    app_env: Settings, change: str
) -> None:
    """A replaced password or a removed account ends the session at the next rerun, and the
    sidebar says why."""
    at = submit(started(), "pat", PASSWORD)
    accounts = Accounts(app_env.accounts_path)
    if change == "removed":
        accounts.remove("pat")
    else:
        accounts.add("pat", Role.PARTNER, "a fresh partner password")
    at.run()
    assert signed_in_as(at) is None
    assert any("Your account was changed or removed" in i.value for i in at.sidebar.info)
    at.run()  # said once
    assert not any("changed or removed" in i.value for i in at.sidebar.info)
