"""The ``safer`` command: every subcommand has ``--help``; settings come from SAFER_* env.

One module per subcommand (``cli/<name>.py``, each with a ``register_<name>``); this module
holds the registry, the parser and the exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError
from pydantic_settings import SettingsError

from cli import (
    accounts,
    alerts,
    archive,
    areas,
    audit,
    briefing,
    calibrate,
    feed,
    gateway,
    operations,
    parquet,
    query,
    rebuild,
    schemas,
    settings,
    simulate,
    status,
    subscribers,
    tail,
    topics,
    up,
    worker,
)
from cli.common import Subparsers
from safer.errors import SaferError

Handler = Callable[[argparse.Namespace], int]

REGISTRY: tuple[Callable[[Subparsers], None], ...] = (
    up.register_up,
    worker.register_worker,
    simulate.register_simulate,
    topics.register_topics,
    schemas.register_schemas,
    settings.register_settings,
    status.register_status,
    tail.register_tail,
    rebuild.register_rebuild,
    areas.register_areas,
    query.register_query,
    operations.register_operations,
    alerts.register_alerts,
    calibrate.register_calibrate,
    feed.register_feed,
    accounts.register_accounts,
    archive.register_archive,
    audit.register_audit,
    subscribers.register_subscribers,
    gateway.register_gateway,
    parquet.register_parquet,
    briefing.register_briefing,
)
"""Every subcommand, in the order ``safer --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safer",
        description="safer-tracker: live multi-agency community-safety tracker.",
        epilog="Settings come from SAFER_* environment variables (see `safer settings`). "
        "Exit codes: 0 done, 1 failed (one line; --debug for the traceback), 2 a bad command "
        "line or setting.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="on an unexpected error, print the traceback"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in REGISTRY:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except SaferError as exc:
        print(f"safer {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (ValidationError, SettingsError) as exc:
        print(f"safer {args.command}: invalid SAFER_* setting: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for people; --debug for the traceback
        if args.debug:
            raise
        print(f"safer {args.command}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
