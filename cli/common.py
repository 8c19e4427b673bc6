"""What every subcommand module shares: the subparsers type and the settings it starts from."""

from __future__ import annotations

import argparse
from typing import Any

from safer import logs
from safer.settings import Settings, load_settings

Subparsers = Any  # argparse's private _SubParsersAction


def settings_for(args: argparse.Namespace, component: str) -> Settings:
    """The settings with the command line's overrides, and logging configured for
    ``component``."""
    overrides = {k: v for k, v in getattr(args, "overrides", {}).items() if v is not None}
    settings = load_settings(**overrides)
    logs.configure(settings.log_level, component)
    return settings
