"""``safer calibrate near-repeat``: Knox tests of the partnership's own timestamped history
(the geo index the rules search, ``aggregates.nearby``) for each near-repeat and
cross-agency rule, over bands of distance and time around the rule's own (``alerts.knox``):
which bands hold significantly more close pairs than chance, and their Knox ratios."""

from __future__ import annotations

import argparse
from typing import Any

from cli.common import Subparsers, settings_for
from safer.errors import SaferError

MIN_POINTS = 30
MONTH_ONLY = (
    "police.uk's public street crimes are known only by month and are not indexed (only "
    "records known to within a day are), so they cannot calibrate bands in days: import a "
    "force's own timestamped export, or use council and fire data"
)


class CalibrateError(SaferError):
    """The calibration cannot be run."""


def _numbers(text: str) -> tuple[float, ...]:
    try:
        found = tuple(sorted({float(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: numbers separated by commas") from None
    if not found or min(found) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: positive numbers separated by commas")
    return found


def _duration(hours: float) -> str:
    return f"{hours / 24:g} days" if hours >= 48 and hours % 24 == 0 else f"{hours:g} h"


def _near_repeat(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from redis import Redis
    from rich.console import Console
    from rich.table import Table

    from aggregates.buckets import epoch_hour
    from aggregates.nearby import RETENTION_DAYS
    from alerts.knox import Point, same_set, strongest, two_sets
    from geography.areas import load_areas
    from store.keys import Keys
    from store.nearby import NearbyReader
    from streams.alerts import rules_of

    settings = settings_for(args, "calibrate")
    if args.days > RETENTION_DAYS - 1:
        raise CalibrateError(f"--days: the geo index keeps {RETENTION_DAYS - 1} days at most")
    rules = [r for r in rules_of(settings) if args.rule in (None, r.slug)]
    if not rules:
        raise CalibrateError(f"no rule {args.rule!r} (see SAFER_ALERT_RULES)")
    reader = NearbyReader(
        Redis.from_url(settings.require_redis(), socket_timeout=30), Keys(settings.redis_prefix)
    )
    middle = load_areas(settings.partnership).centre
    end = epoch_hour(datetime.now(UTC)) + 1
    start = end - args.days * 24
    console = Console()

    def points(categories: Any, cause: str | None = None) -> list[Point]:
        found = reader.points(categories, start, end, middle)
        return [Point(lat, lon, f.hour) for f, lat, lon in found if cause in (None, f.cause)]

    for rule in rules:
        metres = args.metres or (rule.metres / 2, rule.metres, rule.metres * 2)
        hours = args.hours or (rule.hours / 4, rule.hours / 2, rule.hours, rule.hours * 2)
        console.rule(f"{rule.slug}: {rule.label} near {rule.first_label}")
        then = points(rule.then, rule.then_cause)
        same = rule.first == rule.then and rule.then_cause is None
        first = then if same else points(rule.first)
        if min(len(first), len(then)) < MIN_POINTS:
            console.print(
                f"too few timestamped incidents in the last {args.days} days "
                f"({len(first)} earlier, {len(then)} later; {MIN_POINTS} needed): {MONTH_ONLY}."
            )
            continue
        with console.status(f"Knox test, {args.permutations} permutations a band"):
            if same:
                bands = same_set(then, metres, hours, args.permutations, args.seed)
            else:
                bands = two_sets(first, then, metres, hours, args.permutations, args.seed)
        title = (
            f"{len(then):,} incidents" if same else f"{len(first):,} earlier, {len(then):,} later"
        )
        table = Table(title=f"{title}, last {args.days} days")
        for column in ("within", "of time", "close pairs", "expected", "Knox ratio", "p"):
            table.add_column(column, justify="right")
        for b in bands:
            mark = " *" if b.significant else ""
            table.add_row(
                f"{b.metres:g} m",
                _duration(b.hours),
                f"{b.observed:,}",
                f"{b.expected:.1f}",
                f"{b.ratio:.2f}{mark}",
                f"{b.p:.3f}",
            )
        console.print(table)
        best = strongest(bands)
        rule_text = f"the rule uses {rule.metres:g} m and {_duration(rule.hours)}"
        if best is None:
            console.print(f"no band with significant excess (p <= 0.05); {rule_text}.")
        else:
            console.print(
                f"strongest significant excess: within {best.metres:g} m and "
                f"{_duration(best.hours)}, "
                f"Knox ratio {best.ratio:.2f} (p = {best.p:.3f}); {rule_text}."
            )
    return 0


def register_calibrate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "calibrate",
        help="check alert rules against the partnership's own history",
        description="Calibrations of the alert rules against the partnership's history.",
    )
    s = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    nr = s.add_parser(
        "near-repeat",
        help="Knox tests of near-repeat and cross-agency rules over bands of distance/time",
        description="For each rule, Knox tests (Monte Carlo permutations) of the indexed "
        "incidents of the last --days over bands of distance and time: close pairs, "
        "expected, Knox ratio and p; * marks significant excess. Reads Redis (`safer up`).",
    )
    nr.add_argument("--rule", help="one rule's slug (default: every rule)")
    nr.add_argument("--days", type=int, default=60, help="history used, in days (default 60)")
    nr.add_argument(
        "--metres",
        type=_numbers,
        help="distances, e.g. 100,200,400 (default: half, once and twice the rule's)",
    )
    nr.add_argument(
        "--hours",
        type=_numbers,
        help="times, e.g. 72,168,336 (default: a quarter, half, once and twice the rule's)",
    )
    nr.add_argument("--permutations", type=int, default=99, help="per band (default 99)")
    nr.add_argument("--seed", type=int, default=17, help="random seed of the permutations")
    nr.set_defaults(handler=_near_repeat)
