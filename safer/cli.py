"""The ``safer`` command: every subcommand has ``--help``; settings come from SAFER_* env."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError
from pydantic_settings import SettingsError

from safer import commands
from safer.errors import SaferError

Handler = Callable[[argparse.Namespace], int]


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
    for register in commands.REGISTRY:
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
