"""``safer feed SOURCE PATH``: publish a partner's export files through its adapter."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

MAX_LISTED = 20
SOURCES = (
    "police",
    "fire",
)  # feeds.adapters.ADAPTERS (not imported at start-up: --help stays fast)


def _feed(args: argparse.Namespace) -> int:
    from feeds.adapters import ADAPTERS
    from feeds.bulk import BulkPublisher
    from feeds.importer import import_files, input_files
    from feeds.ledger import Ledger
    from safer import logs
    from safer.settings import load_settings
    from streams.admin import cluster_id, ensure_topics
    from streams.topics import Topics

    started = time.perf_counter()
    settings = load_settings()
    logs.configure(settings.log_level, "feed")
    bootstrap = settings.require_kafka()
    topics = Topics(settings.topic_prefix)
    ensure_topics(bootstrap, topics, settings.partitions)
    adapter = ADAPTERS[args.source]
    files = input_files(Path(args.path), adapter.pattern)
    err = Console(stderr=True)
    with (
        Ledger.open(settings.state_dir, cluster_id(bootstrap)) as ledger,
        BulkPublisher(bootstrap, topics, client_id=f"safer-feed-{args.source}") as publisher,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as bar,
    ):
        task = bar.add_task(f"{args.source}: {len(files)} file(s), rows", total=None)
        summary = import_files(
            adapter, files, publisher, ledger, topics, lambda rows: bar.update(task, completed=rows)
        )
        bar.update(task, completed=summary.rows, total=summary.rows)
    for error in summary.rejected[:MAX_LISTED]:
        err.print(f"rejected {error} (sent to the dead-letter topic)", markup=False, soft_wrap=True)
    if len(summary.rejected) > MAX_LISTED:
        err.print(f"… and {len(summary.rejected) - MAX_LISTED} more rejected rows")
    kinds = ", ".join(f"{summary.published[k]:,} {k}" for k in ("new", "changed", "cancelled"))
    print(
        f"{args.source}: {summary.files} file(s), {summary.rows:,} rows: published "
        f"{summary.published_total:,} ({kinds}); unchanged {summary.unchanged:,}; "
        f"rejected {len(summary.rejected):,}; {time.perf_counter() - started:.2f} s"
    )
    return 1 if summary.rejected else 0


def register_feed(sub: Any) -> None:
    p = sub.add_parser(
        "feed",
        help="publish a partner's export files (police street-level crime, fire incidents)",
        description="Adapt a partner's export files to the event contract and publish "
        "them to the source's raw topic, event times preserved. A re-issued period "
        "replaces the earlier issue: new records are added, changed ones corrected, "
        "vanished ones cancelled, unchanged ones not published again (importing the "
        "same file twice publishes nothing). Bad rows are reported with file and line "
        "and sent to the dead-letter topic; the exit code is then 1.",
    )
    p.add_argument("source", choices=SOURCES, help="whose export format")
    p.add_argument("path", help="a file, or a folder (police: every *-street.csv in it, by name)")
    p.set_defaults(handler=_feed)
