"""Dashboard accounts, the `safer accounts` command and the audit log (``dashboard.access``)."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from aggregates.disclosure import Role
from dashboard.access import AccountError, Accounts, AuditLog

PASSWORD = "correct horse battery"


def test_sign_in_checks_the_password_and_never_stores_it(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "accounts.json")
    accounts.add("ana", Role.ANALYST, PASSWORD)
    signed = accounts.sign_in("ana", PASSWORD)
    assert signed is not None
    assert signed.role is Role.ANALYST
    assert accounts.sign_in(" ANA ", PASSWORD) is not None  # names are case-insensitive
    assert accounts.sign_in("ana", PASSWORD + "!") is None
    assert accounts.sign_in("nobody", PASSWORD) is None
    text = accounts.path.read_text()
    assert PASSWORD not in text
    assert json.loads(text)["accounts"]["ana"]["role"] == "analyst"
    assert stat.S_IMODE(accounts.path.stat().st_mode) == 0o600


def test_replacing_and_removing_accounts(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "accounts.json")
    accounts.add("pat", Role.PARTNER, PASSWORD)
    accounts.add("pat", Role.PUBLIC, "another long password")
    assert accounts.sign_in("pat", PASSWORD) is None
    signed = accounts.sign_in("pat", "another long password")
    assert signed is not None
    assert signed.role is Role.PUBLIC
    assert accounts.remove("pat")
    assert not accounts.remove("pat")
    assert accounts.load() == {}


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [("Ana Smith", PASSWORD, "account name"), ("ana", "short", "too short")],
)
def test_bad_names_and_short_passwords_are_refused(
    tmp_path: Path, name: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        Accounts(tmp_path / "a.json").add(name, Role.PARTNER, password)


def test_unreadable_accounts_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("{not json")
    with pytest.raises(AccountError, match="unreadable accounts file"):
        Accounts(path).sign_in("ana", PASSWORD)


def run_cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"SAFER_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "cli", "accounts", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_accounts_command(tmp_path: Path) -> None:
    made = run_cli(tmp_path, "add", "ana", "--role", "analyst")
    assert made.returncode == 0, made.stderr
    password = made.stdout.split("password: ")[1].strip()
    assert Accounts(tmp_path / "dashboard-accounts.json").sign_in("ana", password) is not None
    piped = run_cli(tmp_path, "add", "pat", "--password-stdin", stdin=PASSWORD + "\n")
    assert piped.returncode == 0, piped.stderr
    assert "password:" not in piped.stdout
    listed = run_cli(tmp_path, "list")
    assert listed.stdout.splitlines() == ["ana\tanalyst", "pat\tpartner"]
    missing = run_cli(tmp_path, "remove", "zed")
    assert missing.returncode == 2
    assert "no account 'zed'" in missing.stderr


def test_audit_log_appends_one_json_line_per_entry(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit" / "audit.jsonl")
    log.write("ana", Role.ANALYST, "view", page="live", filters={"window": "24h"})
    log.write("pat", Role.PARTNER, "export", page="live", format="xlsx")
    lines = log.path.read_text().splitlines()
    assert len(lines) == 2
    first = json.load(io.StringIO(lines[0]))
    assert (first["user"], first["role"], first["action"], first["page"]) == (
        "ana",
        "analyst",
        "view",
        "live",
    )
    assert first["filters"] == {"window": "24h"}
    assert log.entries()[1]["format"] == "xlsx"
