"""Streamlit runs ``dashboard/app.py`` with ``dashboard/`` first on ``sys.path``, so a module
there named like one of the project's packages (``dashboard/alerts.py``) would be imported
in its place and break the app with ModuleNotFoundError (it happened once)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_dashboard_module_shadows_a_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = set(config["tool"]["importlinter"]["root_packages"])
    modules = {p.stem for p in (ROOT / "dashboard").glob("*.py")} | {
        p.name for p in (ROOT / "dashboard").iterdir() if p.is_dir()
    }
    assert "alert_lines" in modules  # the check looks at the right folder
    assert modules.isdisjoint(packages), modules & packages
