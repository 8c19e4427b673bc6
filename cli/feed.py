"""``safer feed SOURCE PATH``: publish a partner's export files through its adapter."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from safer.errors import SaferError

if TYPE_CHECKING:
    from feeds.publish.importer import ImportSummary

MAX_LISTED = 20
SOURCES = (
    "police",
    "stop-search",
    "council",
    "fire",
)  # feeds.adapters.registry (not imported at start: fast --help)
err = Console(stderr=True)


def _feed(args: argparse.Namespace) -> int:
    from bus.admin import cluster_id, ensure_topics
    from bus.archive.catalog import Catalog
    from feeds.adapters.registry import adapters
    from feeds.publish.bulk import BulkPublisher
    from feeds.publish.importer import import_files, input_files
    from feeds.publish.ledger import Ledger
    from feeds.publish.replay import Replay
    from safer import logs
    from safer.settings import load_settings
    from schemas.topics import Topics

    settings = load_settings()
    logs.configure(settings.log_level, "feed")
    bootstrap = settings.require_kafka()
    topics = Topics(settings.topic_prefix)
    ensure_topics(bootstrap, topics, settings.partitions)
    adapter = adapters(settings.pseudonym_key.get_secret_value().encode())[args.source]
    replay = Replay(args.replay_speed) if args.replay_speed else None
    path = Path(args.path)
    if args.follow and not path.is_dir():
        raise SaferError(f"--follow needs a folder, not {path}")
    with (
        Ledger.open(settings.state_dir, cluster_id(bootstrap)) as ledger,
        BulkPublisher(
            bootstrap,
            topics,
            client_id=f"safer-feed-{args.source}",
            archive=Catalog(settings.log_archive) if settings.log_archive else None,
            archive_wait_s=settings.archive_wait_s,
        ) as publisher,
    ):

        def run(files: list[Path]) -> int:
            started = time.perf_counter()
            with _progress() as bar:
                task = bar.add_task(f"{args.source}: {len(files)} file(s), rows", total=None)
                summary = import_files(
                    adapter,
                    files,
                    publisher,
                    ledger,
                    topics,
                    lambda rows: bar.update(task, completed=rows),
                    replay=replay,
                )
                bar.update(task, completed=summary.rows, total=summary.rows)
            _report(args.source, summary, time.perf_counter() - started)
            return 1 if summary.rejected else 0

        if not args.follow:
            # SIGTERM keeps its default (stop now): what was not acknowledged is not in the
            # ledger, so the next run publishes it
            return run(input_files(path, adapter.pattern))
        stop = threading.Event()  # --follow: SIGTERM ends the watch between imports
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        return _follow(path, adapter.pattern, args.poll_seconds, run, stop)


def _follow(
    folder: Path,
    pattern: str,
    poll_s: float,
    run: Callable[[list[Path]], int],
    stop: threading.Event,
) -> int:
    """Import every file once it has stopped changing (same size and time for one poll),
    and again whenever it changes; until SIGINT/SIGTERM. Re-imports publish only changes."""
    from feeds.publish.importer import input_files

    err.print(f"following {folder} ({pattern}) every {poll_s:g} s; Ctrl-C stops")
    seen: dict[Path, tuple[float, int]] = {}
    last: dict[Path, tuple[float, int]] = {}
    status = 0
    try:
        while not stop.is_set():
            current = {}
            for path in input_files(folder, pattern):
                info = path.stat()
                current[path] = (info.st_mtime, info.st_size)
            ready = [p for p, sig in current.items() if last.get(p) == sig and seen.get(p) != sig]
            if ready:
                status = max(status, run(ready))
                seen.update((p, current[p]) for p in ready)
            last = current
            stop.wait(poll_s)
    except KeyboardInterrupt:
        pass
    return status


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def _report(source: str, summary: ImportSummary, seconds: float) -> None:
    for error in summary.rejected[:MAX_LISTED]:
        err.print(f"rejected {error} (sent to the dead-letter topic)", markup=False, soft_wrap=True)
    if len(summary.rejected) > MAX_LISTED:
        err.print(f"… and {len(summary.rejected) - MAX_LISTED} more rejected rows")
    kinds = ", ".join(f"{summary.published[k]:,} {k}" for k in ("new", "changed", "cancelled"))
    print(
        f"{source}: {summary.files} file(s), {summary.rows:,} rows: published "
        f"{summary.published_total:,} ({kinds}); unchanged {summary.unchanged:,}; "
        f"rejected {len(summary.rejected):,}; {seconds:.2f} s",
        flush=True,
    )


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def register_feed(sub: Any) -> None:
    p = sub.add_parser(
        "feed",
        help="publish a partner's export files (police street-level crime and stop and "
        "search, council calls and ASB reports, fire incidents)",
        description="Adapt a partner's export files to the event contract and publish "
        "them to the source's raw topic, event times preserved. A re-issued period "
        "replaces the earlier issue: new records are added, changed ones corrected, "
        "vanished ones cancelled (police months), unchanged ones not published again "
        "(importing the same file twice publishes nothing). Bad rows are reported with "
        "file and line and sent to the dead-letter topic; the exit code is then 1.",
    )
    p.add_argument("source", choices=SOURCES, help="whose export format")
    p.add_argument(
        "path",
        help="a file, or a folder (police: every *-street.csv and *-street.json in it; "
        "stop-search: every *-stop-and-search.csv; council, fire: every *.csv), taken in "
        "name order",
    )
    p.add_argument(
        "--follow",
        action="store_true",
        help="keep watching the folder: import each new or changed export once it has "
        "stopped changing (the near-real-time path for partners exporting every few "
        "minutes); SIGINT/SIGTERM stops",
    )
    p.add_argument(
        "--poll-seconds", type=_positive, default=2.0, help="--follow: how often to look"
    )
    p.add_argument(
        "--replay-speed",
        type=_positive,
        metavar="N",
        help="replay the history N times faster than real time, in event-time order "
        "(e.g. 86400: a day a second); gaps longer than 5 s after scaling are cut to 5 s",
    )
    p.set_defaults(handler=_feed)
