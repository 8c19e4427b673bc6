"""The `safer` command and the README stay usable and current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from cli.main import build_parser
from safer.settings import Settings, child_env, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)  # type: ignore[arg-type]


def test_expected_subcommands_exist():
    """The stack, worker, simulator, schema and subscriber commands are all there."""
    assert {"up", "worker", "simulate", "schemas", "status", "tail", "topics", "settings"} <= set(
        _subcommands()
    )


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_help(command: str):
    """`safer COMMAND --help` exits 0 and describes the command."""
    result = subprocess.run(
        [sys.executable, "-m", "cli", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"usage: safer {command}" in result.stdout


def test_missing_kafka_is_a_clear_error(tmp_path: Path):
    """Without a broker setting or a running stack, commands say what to do (exit 2)."""
    env = child_env(Settings(state_dir=tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "cli", "topics"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert "SAFER_KAFKA_BOOTSTRAP" in result.stderr


def test_readme_documents_every_setting():
    """Each SAFER_* setting appears in the README's settings table."""
    readme = (ROOT / "README.md").read_text()
    missing = [n for n in Settings.model_fields if f"`SAFER_{n.upper()}`" not in readme]
    assert missing == []


PACKAGES = (
    "safer", "schemas", "geography", "bus", "feeds", "aggregates", "store", "streams",
    "consumers", "dashboard", "cli",
)  # fmt: skip


@pytest.mark.parametrize("doc", ["README.md", "RELIABILITY.md", "bench/README.md"])
def test_every_path_the_docs_name_exists(doc: str):
    """A path in backticks that starts in one of our packages (``store/keys.py``,
    ``feeds/adapters/``, ``dashboard/views/<page>.py`` up to its placeholder) exists, so a
    move cannot leave the docs pointing at the old place."""
    text = (ROOT / doc).read_text()
    pattern = rf"`((?:{'|'.join(PACKAGES)})/[\w./<>-]*)`"
    named = set(re.findall(pattern, text))
    assert named, "the docs name paths"
    missing = [
        path for path in sorted(named) if not (ROOT / path.split("<")[0].split("*")[0]).exists()
    ]
    assert missing == []


def test_the_layout_names_every_package():
    """The README's Layout table has one row per top-level package."""
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    assert [p for p in PACKAGES if f"| `{p}/` |" not in layout] == []


def test_ci_runs_the_readme_test_command():
    """.ci/run runs `make test`, the command the README gives."""
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_running_stack_is_found_from_its_stack_file(tmp_path: Path):
    """load_settings fills Kafka and Redis from a live stack file, not a stale one."""
    import json
    import os

    stack = tmp_path / "stack.json"
    stack.write_text(
        json.dumps({"pid": os.getpid(), "kafka_bootstrap": "h:1", "redis_url": "redis://h:2"})
    )
    found = load_settings(state_dir=tmp_path)
    assert (found.kafka_bootstrap, found.redis_url) == ("h:1", "redis://h:2")
    stack.write_text(json.dumps({"pid": 2**22 + 12345, "kafka_bootstrap": "h:1"}))
    assert load_settings(state_dir=tmp_path).kafka_bootstrap is None


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_every_benchmark_still_imports_and_has_help(script: str):
    """Benchmarks run on demand only, so a stale import would go unnoticed: `--help` works."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout


@pytest.mark.parametrize(
    "style", ["file:///etc/passwd", "tiles.internal/style.json", "http://a b/style.json"]
)
def test_a_map_style_must_be_an_http_url(style: str) -> None:
    with pytest.raises(ValidationError, match="map_style"):
        Settings(map_style=style)
    assert Settings(map_style="https://tiles.internal/style.json").map_style.startswith("https")
    assert Settings().map_style == ""  # no background by default


def test_the_history_a_verdict_needs_defaults_to_every_baseline_week() -> None:
    """8 baseline weeks by default, and a verdict needs all of them unless told fewer; it
    can never need more weeks than the baseline compares."""
    assert (Settings().baseline_weeks, Settings().verdict_weeks) == (8, 8)
    assert Settings(baseline_weeks=12).verdict_weeks == 12
    assert Settings(history_weeks=3).verdict_weeks == 3
    with pytest.raises(ValidationError, match="cannot exceed baseline_weeks"):
        Settings(baseline_weeks=4, history_weeks=6)


def _fail_export(*args: object, **kwargs: object) -> list[Path]:
    raise RuntimeError("disk on fire")


def test_an_unexpected_error_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever fails inside a command is one line on stderr and exit code 1; --debug raises
    it with its traceback."""
    import schemas.export
    from cli.main import main

    monkeypatch.setattr(schemas.export, "export", _fail_export)
    assert main(["schemas", "export"]) == 1
    err = capsys.readouterr().err
    assert err == "safer schemas: failed: RuntimeError: disk on fire\n"
    with pytest.raises(RuntimeError, match="disk on fire"):
        main(["--debug", "schemas", "export"])
