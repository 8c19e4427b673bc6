"""The ``safer`` subcommands: each registers its parser and a handler returning an exit code."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from safer import logs
from safer.errors import ConfigError
from safer.feed import register_feed
from safer.query import register_query
from safer.settings import Settings, load_settings
from schemas.categories import Source

Subparsers = Any  # argparse's private _SubParsersAction


def _settings(args: argparse.Namespace, component: str) -> Settings:
    overrides = {k: v for k, v in getattr(args, "overrides", {}).items() if v is not None}
    settings = load_settings(**overrides)
    logs.configure(settings.log_level, component)
    return settings


def _up(args: argparse.Namespace) -> int:
    from safer.stack import Stack, StackOptions

    overrides = {
        "kafka_bootstrap": args.kafka,
        "redis_url": args.redis,
        "state_dir": args.state_dir,
        "dashboard_port": args.dashboard_port,
    }
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    logs.configure(settings.log_level, "up")
    options = StackOptions(
        simulator=not args.no_simulator,
        dashboard=not args.no_dashboard,
        rate=args.rate,
        police_data=Path(args.police_data) if args.police_data else None,
        replay_speed=args.replay_speed,
    )
    return Stack(settings, options).run()


def register_up(sub: Subparsers) -> None:
    p = sub.add_parser(
        "up",
        help="run the whole live stack on this machine",
        description="Start broker, Redis, topics, stream worker, feed simulator and "
        "dashboard; Ctrl-C / SIGTERM stops them all.",
    )
    p.add_argument(
        "--kafka", metavar="HOST:PORT", help="use this Kafka instead of the embedded broker"
    )
    p.add_argument("--redis", metavar="URL", help="use this Redis instead of our own redis-server")
    p.add_argument(
        "--rate", type=float, help="simulated incidents per second (default SAFER_SIMULATOR_RATE)"
    )
    p.add_argument("--no-simulator", action="store_true", help="do not start the feed simulator")
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
    p.add_argument("--dashboard-port", type=int, help="dashboard port (0: any free port)")
    p.add_argument("--state-dir", help="local state folder (default .safer)")
    p.set_defaults(handler=_up)


def _worker(args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    run_worker(_settings(args, "worker"))
    return 0


def register_worker(sub: Subparsers) -> None:
    p = sub.add_parser(
        "worker",
        help="run the stream worker (faust)",
        description="Validate raw partner events, dead-letter bad input and keep "
        "the Redis aggregates, until SIGINT/SIGTERM.",
    )
    p.set_defaults(handler=_worker)


def _simulate(args: argparse.Namespace) -> int:
    from feeds.incidents import DEFAULT_KIND_SHARES
    from feeds.publisher import RawPublisher, run_live
    from feeds.simulator import Simulator
    from safer.geography import load_areas
    from schemas.categories import KIND_SOURCE
    from streams.topics import Topics

    settings = _settings(args, "simulator")
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


def _topics(args: argparse.Namespace) -> int:
    from streams.worker import prepare

    prepare(_settings(args, "topics"))
    print("topics ready")
    return 0


def register_topics(sub: Subparsers) -> None:
    p = sub.add_parser(
        "topics",
        help="create the topics and pair Redis with the Kafka log",
        description="Idempotent: creates missing topics only.",
    )
    p.set_defaults(handler=_topics)


def _schemas(args: argparse.Namespace) -> int:
    from schemas.export import export, stale

    if args.action == "export":
        for path in export():
            print(f"wrote {path}")
        return 0
    out_of_date = stale()
    for name in out_of_date:
        print(f"stale: schemas/json/{name} (run `safer schemas export`)", file=sys.stderr)
    return 1 if out_of_date else 0


def register_schemas(sub: Subparsers) -> None:
    p = sub.add_parser(
        "schemas",
        help="export or check the JSON Schema files of the contract",
        description="JSON Schema files are generated from the pydantic models.",
    )
    p.add_argument("action", choices=["export", "check"], help="write the files, or fail if stale")
    p.set_defaults(handler=_schemas)


def _settings_cmd(args: argparse.Namespace) -> int:
    settings = load_settings()
    shown = {
        name: (str(value) if value is not None else None)
        for name, value in settings.model_dump(mode="json").items()
    }
    shown["pseudonym_key"] = "**********"
    print(json.dumps(shown, indent=2))
    return 0


def register_settings(sub: Subparsers) -> None:
    p = sub.add_parser(
        "settings",
        help="print the effective settings (secrets masked)",
        description="Every setting is a SAFER_<NAME> environment variable.",
    )
    p.set_defaults(handler=_settings_cmd)


def _areas(args: argparse.Namespace) -> int:
    from safer.geography import DEFAULT_PARTNERSHIP
    from safer.partnership import LSOA21_COLUMNS, TABLE_COLUMNS, PartnershipConfig, load, write_csv

    path = args.partnership or load_settings().partnership or DEFAULT_PARTNERSHIP
    found = load(PartnershipConfig.load(path))
    if args.out:
        write_csv(args.out, TABLE_COLUMNS, [row.values() for row in found.rows])
    if args.out_2021:
        rows = [(new, old, how) for new, (old, how) in sorted(found.lsoa21.items())]
        write_csv(args.out_2021, LSOA21_COLUMNS, rows)
    print(json.dumps({"partnership": str(path), **found.summary()}, indent=2))
    return 0


def register_areas(sub: Subparsers) -> None:
    p = sub.add_parser(
        "areas",
        help="check a partnership's geography and write its areas table",
        description="Loads a partnership file (SAFER_PARTNERSHIP, default Wirral): derives "
        "each LSOA's ward (ONS best fit, else the ward containing its interior point), local "
        "authority and population, and maps 2021 LSOA codes; prints a summary. A problem "
        "(an LSOA with no ward or population, a ward of another authority) is an error.",
    )
    p.add_argument("--partnership", type=Path, help="partnership TOML file to load")
    p.add_argument("--out", type=Path, help="write the areas table (CSV) here")
    p.add_argument("--out-2021", type=Path, help="write the 2021 -> 2011 LSOA table (CSV) here")
    p.set_defaults(handler=_areas)


def _status(args: argparse.Namespace) -> int:
    from safer.status import print_status

    return print_status(_settings(args, "status"))


def register_status(sub: Subparsers) -> None:
    p = sub.add_parser(
        "status",
        help="health and live counts of the running stack",
        description="Reads the local stack file (or SAFER_* settings).",
    )
    p.set_defaults(handler=_status)


def _rebuild(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from streams.rebuild import run_rebuild

    settings = _settings(args, "rebuild")
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


def _tail(args: argparse.Namespace) -> int:
    from consumers.tail import tail

    return tail(_settings(args, "tail"), args.stream, args.max, args.timeout)


def register_tail(sub: Subparsers) -> None:
    p = sub.add_parser(
        "tail",
        help="print canonical incidents or dead letters as JSON lines",
        description="A downstream subscriber: reads a topic from the beginning.",
    )
    p.add_argument("stream", choices=["incidents", "deadletter"])
    p.add_argument("--max", type=int, default=0, help="stop after this many (0: no limit)")
    p.add_argument("--timeout", type=float, default=5.0, help="stop after this many idle seconds")
    p.set_defaults(handler=_tail)


def _accounts(args: argparse.Namespace) -> int:
    from dashboard.access import Accounts, new_password
    from dashboard.disclosure import Role

    accounts = Accounts(load_settings().accounts_path)
    if args.action == "list":
        for account in accounts.load().values():
            print(f"{account.name}\t{account.role.value}")
        return 0
    if not args.name:
        raise ConfigError(f"safer accounts {args.action} needs a NAME")
    if args.action == "remove":
        if not accounts.remove(args.name):
            raise ConfigError(f"no account {args.name!r} in {accounts.path}")
        print(f"removed {args.name}")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    else:
        password, generated = new_password(), True
    account = accounts.add(args.name, Role(args.role), password)
    print(f"account {account.name} ({account.role.value}) saved in {accounts.path}")
    if generated:
        print(f"password: {password}")
    return 0


def register_accounts(sub: Subparsers) -> None:
    from dashboard.disclosure import Role

    p = sub.add_parser(
        "accounts",
        help="dashboard sign-in accounts (analyst, partner, public)",
        description="Adds, removes or lists dashboard accounts. Passwords are stored as "
        "salted PBKDF2 hashes; without --password-stdin a password is generated and "
        "printed once.",
    )
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?", help="account name (lower case)")
    p.add_argument("--role", choices=[r.value for r in Role], default=Role.PARTNER.value)
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p.set_defaults(handler=_accounts)


REGISTRY: tuple[Callable[[Subparsers], None], ...] = (
    register_up,
    register_worker,
    register_simulate,
    register_topics,
    register_schemas,
    register_settings,
    register_status,
    register_tail,
    register_rebuild,
    register_areas,
    register_query,
    register_feed,
    register_accounts,
)
