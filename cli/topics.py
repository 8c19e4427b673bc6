"""``safer topics``: create the topics the deployment uses."""

from __future__ import annotations

import argparse

from cli.common import Subparsers, settings_for


def _topics(args: argparse.Namespace) -> int:
    from streams.worker import prepare

    prepare(settings_for(args, "topics"))
    print("topics ready")
    return 0


def register_topics(sub: Subparsers) -> None:
    p = sub.add_parser(
        "topics",
        help="create the topics and pair Redis with the Kafka log",
        description="Idempotent: creates missing topics only.",
    )
    p.set_defaults(handler=_topics)
