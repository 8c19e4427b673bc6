"""``safer up``: the whole local stack under one supervisor (``cli.stack``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Subparsers, span_argument
from safer import logs
from safer.settings import Settings
from safer.spans import parse_span


def _up(args: argparse.Namespace) -> int:
    from cli.stack.history import HistoryRequest, check_size, history_span
    from cli.stack.supervisor import Stack, StackOptions

    overrides = {
        "kafka_bootstrap": args.kafka,
        "redis_url": args.redis,
        "state_dir": args.state_dir,
        "dashboard_port": args.dashboard_port,
    }
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    logs.configure(settings.log_level, "up")
    police_data = Path(args.police_data) if args.police_data else None
    history = history_span(
        args.history,
        parse_span(settings.simulator_history),
        simulator=not args.no_simulator,
        police_data=police_data is not None,
    )
    rate = args.rate or settings.simulator_rate
    check_size(HistoryRequest(history, rate), settings.simulator_history_max_events)
    options = StackOptions(
        simulator=not args.no_simulator,
        dashboard=not args.no_dashboard,
        gateway=not args.no_gateway,
        rate=args.rate,
        police_data=police_data,
        replay_speed=args.replay_speed,
        history=history,
    )
    return Stack(settings, options).run()


def register_up(sub: Subparsers) -> None:
    p = sub.add_parser(
        "up",
        help="run the whole live stack on this machine",
        description="Start broker, Redis, topics, stream worker, feed simulator, dashboard "
        "and subscriber gateway; on an empty log, first publish simulated history through "
        "the worker. Ctrl-C / SIGTERM stops them all.",
    )
    p.add_argument(
        "--kafka", metavar="HOST:PORT", help="use this Kafka instead of the embedded broker"
    )
    p.add_argument("--redis", metavar="URL", help="use this Redis instead of our own redis-server")
    p.add_argument(
        "--rate",
        type=float,
        help="simulated incidents per second, the weekly mean, live and in the history "
        "(default SAFER_SIMULATOR_RATE)",
    )
    p.add_argument(
        "--no-simulator",
        action="store_true",
        help="do not start the feed simulator (nor, unless --history is given, its history)",
    )
    p.add_argument(
        "--history",
        type=span_argument,
        metavar="SPAN",
        help="on an empty log, first publish this much simulated history and wait until it "
        "is counted: 0 (none), 30d, 12w, 2y (default SAFER_SIMULATOR_HISTORY, 8w; 0 with "
        "--police-data or --no-simulator)",
    )
    p.add_argument(
        "--police-data",
        metavar="PATH",
        help="also replay these data.police.uk street-crime files (a file or a folder of "
        "*-street.csv, e.g. ../shared/data) beside the simulated traffic",
    )
    p.add_argument(
        "--replay-speed",
        type=float,
        default=86_400.0,
        metavar="N",
        help="--police-data: N times faster than real time (default 86400: a day a second)",
    )
    p.add_argument("--no-dashboard", action="store_true", help="do not start the dashboard")
    p.add_argument("--no-gateway", action="store_true", help="do not start the subscriber gateway")
    p.add_argument("--dashboard-port", type=int, help="dashboard port (0: any free port)")
    p.add_argument("--state-dir", help="local state folder (default .safer)")
    p.set_defaults(handler=_up)
