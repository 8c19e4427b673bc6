"""``safer simulate``: synthetic partner traffic onto the raw topics."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from cli.common import Subparsers, configured_simulator, settings_for, span_argument
from safer.errors import ConfigError
from safer.settings import Settings
from schemas.categories import Source

if TYPE_CHECKING:
    from feeds.simulator.generator import Simulator
    from feeds.simulator.incidents import AnyEvent
    from feeds.simulator.surges import SurgeFeed, SurgeSpec


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
    if args.surge and args.count:
        raise ConfigError("--surge adds to live traffic: it cannot go with --count")
    if args.surge_only and not args.surge:
        raise ConfigError("--surge-only needs at least one --surge")
    surges = [_surge_feed(settings, simulator, spec, rate, args.seed) for spec in args.surge]
    with RawPublisher(settings.require_kafka(), Topics(settings.topic_prefix)) as publisher:
        if args.count:
            from datetime import UTC, datetime

            sent = publisher.publish(simulator.messages(args.count, datetime.now(UTC)))
            publisher.flush()
            print(f"published {sent} simulated messages")
            return 0
        try:
            run_live(
                publisher,
                simulator,
                rate,
                stop,
                follow_rhythm=True,
                surges=surges,
                normal=not args.surge_only,
            )
        except KeyboardInterrupt:
            stop.set()
    return 0


def surge_argument(text: str) -> SurgeSpec:
    """``AREA:GROUP:MULTIPLIER:MINUTES`` (the area a ward code or name; checked against the
    partnership and its alert groups when the simulator starts)."""
    from feeds.simulator.surges import SurgeSpec

    parts = text.rsplit(":", 3)
    if len(parts) != 4 or not all(parts):
        raise argparse.ArgumentTypeError(f"{text!r}: AREA:GROUP:MULTIPLIER:MINUTES expected")
    area, group, multiplier, minutes = parts
    try:
        spec = SurgeSpec(area, group, float(multiplier), float(minutes))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: MULTIPLIER and MINUTES are numbers (e.g. Birkenhead:youth-asb:5:60)"
        ) from None
    if spec.multiplier <= 1 or spec.minutes <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: MULTIPLIER above 1, MINUTES above 0")
    return spec


def _surge_feed(
    settings: Settings, simulator: Simulator, spec: SurgeSpec, rate: float, seed: int | None
) -> SurgeFeed:
    """The surge's feed, its ward and group resolved, and a line saying what it adds."""
    from datetime import UTC, datetime

    from aggregates.inputs import canonical_doc, from_canonical
    from geography.areas import load_areas
    from streams.alerts import groups_of

    areas = load_areas(settings.partnership)
    ward = _ward(spec.ward, areas.ward_names)
    groups = {g.slug: g for g in groups_of(settings)}
    group = groups.get(spec.group)
    if group is None:
        raise ConfigError(f"--surge: no alert group {spec.group!r} (one of {', '.join(groups)})")

    def keep(event: AnyEvent) -> bool:
        found = from_canonical(canonical_doc(event), areas)
        values = dict(found.dims).get(group.dimension, ()) if group.dimension else ("",)
        return any(group.holds(found.category, value) for value in values or ("",))

    resolved = SurgeSpec(ward, spec.group, spec.multiplier, spec.minutes)
    feed = simulator.surge(resolved, keep, rate, datetime.now(UTC), seed)
    usual = feed.usual_per_hour(feed.start)
    print(
        f"surge: {spec.multiplier:g}x {group.label} in {areas.ward_name(ward)} for "
        f"{spec.minutes:g} min: about {(spec.multiplier - 1) * usual:.1f} extra an hour "
        f"(usually {usual:.2f} an hour at this time)"
    )
    return feed


def _ward(wanted: str, names: Mapping[str, str]) -> str:
    if wanted in names:
        return wanted
    by_name = {name.casefold(): code for code, name in names.items()}
    code = by_name.get(wanted.casefold())
    if code is None:
        raise ConfigError(f"--surge: no ward {wanted!r} in the partnership (a code or a name)")
    return code


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
        "--surge",
        type=surge_argument,
        action="append",
        default=[],
        metavar="AREA:GROUP:MULTIPLIER:MINUTES",
        help="add a surge to the live traffic: MULTIPLIER times the usual incidents of an "
        "alert group (youth-asb, deliberate-fires, burglary, violence, all) in a ward (code "
        "or name) for MINUTES, reported as they happen; repeatable "
        "(e.g. 'Birkenhead and Tranmere:youth-asb:5:60')",
    )
    p.add_argument(
        "--surge-only",
        action="store_true",
        help="publish the surges alone, beside a running `safer up` whose simulator makes "
        "the normal traffic (--rate: that simulator's, which sizes the surge)",
    )
    p.add_argument(
        "--sources",
        nargs="+",
        choices=[s.value for s in Source],
        help="simulate only these partners (default all; `safer up --police-data` leaves "
        "police to the real files)",
    )
    p.set_defaults(handler=_simulate)
