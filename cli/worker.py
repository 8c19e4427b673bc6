"""``safer worker``: the faust stream worker (``streams.worker``)."""

from __future__ import annotations

import argparse

from cli.common import Subparsers, settings_for


def _worker(args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    run_worker(settings_for(args, "worker"))
    return 0


def register_worker(sub: Subparsers) -> None:
    p = sub.add_parser(
        "worker",
        help="run the stream worker (faust)",
        description="Validate raw partner events, dead-letter bad input and keep "
        "the Redis aggregates, until SIGINT/SIGTERM.",
    )
    p.set_defaults(handler=_worker)
