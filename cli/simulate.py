"""``safer simulate``: synthetic partner traffic onto the raw topics."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import timedelta

from cli.common import Subparsers, configured_simulator, settings_for, span_argument
from safer.settings import Settings
from schemas.categories import Source


def _simulate(args: argparse.Namespace) -> int:
    from feeds.publish.publisher import RawPublisher
    from feeds.simulator.live import run_live
    from schemas.topics import Topics

    settings = settings_for(args, "simulator")
    sources = frozenset(Source(s) for s in args.sources or [s.value for s in Source])
    rate = args.rate or settings.simulator_rate
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.history:
        _publish_history(settings, args.history, rate, sources, stop)
    simulator = configured_simulator(settings, sources, args.seed)
    with RawPublisher(settings.require_kafka(), Topics(settings.topic_prefix)) as publisher:
        if args.count:
            from datetime import UTC, datetime

            sent = publisher.publish(simulator.messages(args.count, datetime.now(UTC)))
            publisher.flush()
            print(f"published {sent} simulated messages")
            return 0
        try:
            run_live(publisher, simulator, rate, stop, follow_rhythm=True)
        except KeyboardInterrupt:
            stop.set()
    return 0


def _publish_history(
    settings: Settings,
    span: timedelta,
    rate: float,
    sources: frozenset[Source],
    stop: threading.Event,
) -> None:
    """``--history``: on an empty log, publish and mark it (the worker counts it when it
    runs; topics are created and Redis paired with the log first, as a worker would)."""
    from rich.console import Console

    from cli.stack.history import HistoryRequest, publish_history
    from streams.worker import prepare

    prepare(settings)
    request = HistoryRequest(span, rate, sources)
    history = publish_history(settings, request, Console(), stop.is_set, wait=False)
    if history is not None:
        print(
            f"published {history.messages} simulated messages arriving from "
            f"{history.start:%Y-%m-%d %H:%M} to {history.end:%Y-%m-%d %H:%M} UTC"
        )


def register_simulate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "simulate",
        help="publish synthetic partner traffic to the raw topics",
        description="Realistic synthetic police, council and fire traffic over the "
        "partnership's wards, with a small share of duplicates, corrections and "
        "malformed records.",
    )
    p.add_argument(
        "--rate",
        type=float,
        help="messages per second, the weekly mean: busy hours get more, the small hours "
        "less (default SAFER_SIMULATOR_RATE)",
    )
    p.add_argument(
        "--history",
        type=span_argument,
        metavar="SPAN",
        help="first, on an empty log, publish this much simulated history (30d, 12w, 2y) "
        "at --rate, ending now; needs Redis for its marker (default 0: none)",
    )
    p.add_argument("--count", type=int, help="publish this many messages now, then exit")
    p.add_argument("--seed", type=int, help="random seed, for reproducible traffic")
    p.add_argument(
        "--sources",
        nargs="+",
        choices=[s.value for s in Source],
        help="simulate only these partners (default all; `safer up --police-data` leaves "
        "police to the real files)",
    )
    p.set_defaults(handler=_simulate)
