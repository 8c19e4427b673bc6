"""``safer rebuild``: every aggregate again from the canonical topic."""

from __future__ import annotations

import argparse

from cli.common import Subparsers, settings_for


def _rebuild(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from streams.rebuild import run_rebuild

    settings = settings_for(args, "rebuild")
    columns = (
        *Progress.get_default_columns()[:2],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task("rebuilding from the canonical topic", total=None)
        report = run_rebuild(
            settings,
            lambda done, total: bar.update(task, completed=done, total=total),
            processes=args.processes,
        )
    print(
        f"rebuilt generation {report.generation} from {report.events} events "
        f"({report.invalid} unreadable and {report.unaggregatable} unaggregatable skipped); "
        f"replaced generation {report.previous}"
    )
    return 0


def register_rebuild(sub: Subparsers) -> None:
    p = sub.add_parser(
        "rebuild",
        help="rebuild every aggregate from the canonical topic",
        description="Reads the canonical incident topic from the beginning into "
        "a new generation of keys beside the live one, swaps it in atomically "
        "and deletes the old one. The worker and dashboard keep running.",
    )
    p.add_argument(
        "--processes",
        type=int,
        help="processes sharing the partitions (default: "
        "one below 50,000 events, else one per core)",
    )
    p.set_defaults(handler=_rebuild)
