"""``safer parquet``: a topic as daily Parquet files for BI tools (``consumers.parquet``)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from cli.common import Subparsers, settings_for
from safer.errors import ConfigError


def _parquet(args: argparse.Namespace) -> int:
    from consumers.parquet import run_archive
    from geography.areas import load_areas
    from schemas.topics import Topics

    settings = settings_for(args, "parquet")
    topics = Topics(settings.topic_prefix)
    if args.topic == "incidents":
        topic = topics.incidents.name
    elif args.topic == "aggregates":
        topic = topics.aggregates.name
    elif args.topic.startswith("sub:") and len(args.topic) > 4:
        topic = topics.subscriber(args.topic[4:]).name
    else:
        raise ConfigError(f"--topic {args.topic!r}: incidents, aggregates or sub:NAME")
    out = Path(args.out or settings.state_dir / "parquet")
    areas = load_areas(settings.partnership)
    archived = asyncio.run(run_archive(settings, topic, out, areas, args.exit_when_idle))
    print(f"archived {archived:,} messages of {topic} into {out / topic}")
    return 0


def register_parquet(sub: Subparsers) -> None:
    p = sub.add_parser(
        "parquet",
        help="archive a topic as daily Parquet files for BI tools",
        description="Follows a topic (its own consumer group) and keeps it as Parquet files "
        "partitioned by day and source (DIR/<topic>/day=YYYY-MM-DD/source=S/*.parquet), "
        "written atomically and idempotently: a replay rewrites the same files. Keep the "
        "highest version per record_key to count as the tracker does.",
    )
    p.add_argument("action", choices=["run"])
    p.add_argument(
        "--topic", default="incidents", help="incidents (default), aggregates or sub:NAME"
    )
    p.add_argument("--out", metavar="DIR", help="where (default <state_dir>/parquet)")
    p.add_argument(
        "--exit-when-idle",
        type=float,
        metavar="S",
        help="stop once no message has come for S seconds (a one-off export)",
    )
    p.set_defaults(handler=_parquet)
