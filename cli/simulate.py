"""``safer simulate``: synthetic partner traffic onto the raw topics."""

from __future__ import annotations

import argparse
import signal
import threading

from cli.common import Subparsers, settings_for
from schemas.categories import Source


def _simulate(args: argparse.Namespace) -> int:
    from feeds.publish.publisher import RawPublisher
    from feeds.simulator.generator import Simulator
    from feeds.simulator.incidents import DEFAULT_KIND_SHARES
    from feeds.simulator.live import run_live
    from geography.areas import load_areas
    from schemas.categories import KIND_SOURCE
    from schemas.topics import Topics

    settings = settings_for(args, "simulator")
    sources = set(args.sources or [s.value for s in Source])
    simulator = Simulator(
        load_areas(settings.partnership),
        seed=args.seed,
        pseudonym_key=settings.pseudonym_key.get_secret_value().encode(),
        kind_shares={k: v for k, v in DEFAULT_KIND_SHARES.items() if KIND_SOURCE[k] in sources},
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with RawPublisher(settings.require_kafka(), Topics(settings.topic_prefix)) as publisher:
        if args.count:
            from datetime import UTC, datetime

            sent = publisher.publish(simulator.messages(args.count, datetime.now(UTC)))
            publisher.flush()
            print(f"published {sent} simulated messages")
            return 0
        try:
            run_live(publisher, simulator, args.rate or settings.simulator_rate, stop)
        except KeyboardInterrupt:
            stop.set()
    return 0


def register_simulate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "simulate",
        help="publish synthetic partner traffic to the raw topics",
        description="Realistic synthetic police, council and fire traffic over the "
        "partnership's wards, with a small share of duplicates, corrections and "
        "malformed records.",
    )
    p.add_argument("--rate", type=float, help="messages per second (default SAFER_SIMULATOR_RATE)")
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
