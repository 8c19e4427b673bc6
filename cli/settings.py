"""``safer settings``: the effective SAFER_* settings, secrets masked."""

from __future__ import annotations

import argparse
import json

from cli.common import Subparsers
from safer.settings import load_settings


def _settings_cmd(args: argparse.Namespace) -> int:
    settings = load_settings()
    shown = {
        name: (str(value) if value is not None else None)
        for name, value in settings.model_dump(mode="json").items()
    }
    shown["pseudonym_key"] = "**********"
    print(json.dumps(shown, indent=2))
    return 0


def register_settings(sub: Subparsers) -> None:
    p = sub.add_parser(
        "settings",
        help="print the effective settings (secrets masked)",
        description="Every setting is a SAFER_<NAME> environment variable.",
    )
    p.set_defaults(handler=_settings_cmd)
