"""What every subcommand module shares: the subparsers type and the settings it starts from."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from safer import logs
from safer.settings import Settings, load_settings
from safer.spans import parse_span
from schemas.categories import Source

if TYPE_CHECKING:
    from feeds.simulator.generator import Simulator

Subparsers = Any  # argparse's private _SubParsersAction


def settings_for(args: argparse.Namespace, component: str) -> Settings:
    """The settings with the command line's overrides, and logging configured for
    ``component``."""
    overrides = {k: v for k, v in getattr(args, "overrides", {}).items() if v is not None}
    settings = load_settings(**overrides)
    logs.configure(settings.log_level, component)
    return settings


def span_argument(text: str) -> timedelta:
    """``--history``'s type: a span (``safer.spans``), or argparse's one-line error."""
    try:
        return parse_span(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def configured_simulator(
    settings: Settings, sources: Collection[Source], seed: int | None = None
) -> Simulator:
    """The simulator of these settings' partnership, for these partners only."""
    from feeds.simulator.generator import Simulator
    from feeds.simulator.incidents import DEFAULT_KIND_SHARES
    from geography.areas import load_areas
    from schemas.categories import KIND_SOURCE

    return Simulator(
        load_areas(settings.partnership),
        seed=seed,
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
        kind_shares={k: v for k, v in DEFAULT_KIND_SHARES.items() if KIND_SOURCE[k] in sources},
    )
