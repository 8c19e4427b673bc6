"""``safer archive``: the embedded broker's durable local log (``bus.archive``).

``safer up`` runs ``safer archive run`` as a component and restores the archive into the
fresh broker before anything else starts; ``show`` says what the archive holds.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from cli.common import Subparsers, settings_for


def _run(args: argparse.Namespace) -> int:
    from bus.archive.archiver import Archiver, ArchiverOptions
    from bus.archive.catalog import Catalog

    settings = settings_for(args, "archiver")
    catalog = Catalog(settings.archive_dir)
    options = ArchiverOptions(prefixes=(settings.topic_prefix, f"{settings.consumer_group}-"))
    archiver = Archiver(settings.require_kafka(), catalog, options)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await archiver.run(stop)

    asyncio.run(main())
    print(f"archived {archiver.archived} records this run into {catalog.root}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from bus.archive.catalog import Catalog, tp_name

    settings = settings_for(args, "archive")
    catalog = Catalog(settings.archive_dir)
    if not catalog.holds_records():
        print(f"no archive in {catalog.root}")
        return 0
    positions, clean = catalog.positions(), catalog.clean_ends()
    table = Table(title=f"log archive {catalog.root} ({catalog.identity()})")
    for column in ("topic", "partitions", "records", "bytes"):
        table.add_column(column, justify="right" if column != "topic" else "left")
    for topic, shape in sorted(catalog.topics().items()):
        ends = [positions.get(tp_name(topic, p), 0) for p in range(shape.partitions)]
        size = sum(f.stat().st_size for f in (catalog.records / topic).glob("*/*.seg"))
        table.add_row(topic, str(shape.partitions), f"{sum(ends):,}", f"{size:,}")
    Console().print(table)
    state = "clean stop" if clean is not None else "running, or stopped without draining"
    print(f"state: {state}; consumer groups: {', '.join(sorted(catalog.groups())) or 'none'}")
    return 0


def register_archive(sub: Subparsers) -> None:
    p = sub.add_parser(
        "archive",
        help="the embedded broker's durable local log",
        description="The embedded broker keeps its log in memory; the archive keeps every "
        "topic's records (and the consumer groups' positions) on disk, so `safer up` "
        "restores them after a stop, a crash or a reboot.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="archive the broker's topics until SIGTERM (safer up runs it)",
        description="Tail every topic of the deployment into <state_dir>/log, fsync'd; "
        "SIGTERM drains and marks the archive clean.",
    )
    run.set_defaults(handler=_run)
    show = actions.add_parser(
        "show",
        help="what the archive holds",
        description="Topics, records and bytes in the archive.",
    )
    show.set_defaults(handler=_show)
