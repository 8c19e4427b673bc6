"""``safer tail``: a topic as JSON lines (a subscriber's view)."""

from __future__ import annotations

import argparse

from cli.common import Subparsers, settings_for


def _tail(args: argparse.Namespace) -> int:
    from consumers.tail import tail

    return tail(settings_for(args, "tail"), args.stream, args.max, args.timeout)


def register_tail(sub: Subparsers) -> None:
    p = sub.add_parser(
        "tail",
        help="print canonical incidents or dead letters as JSON lines",
        description="A downstream subscriber: reads a topic from the beginning.",
    )
    p.add_argument("stream", choices=["incidents", "deadletter"])
    p.add_argument("--max", type=int, default=0, help="stop after this many (0: no limit)")
    p.add_argument("--timeout", type=float, default=5.0, help="stop after this many idle seconds")
    p.set_defaults(handler=_tail)
