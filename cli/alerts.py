"""``safer alerts``: the alerts the worker raised (``streams.alerts``), from the store's
read API (``store.alert_state``): ``list [--active] [--format json|table]`` and
``show ID`` (every message of one alert, oldest first)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.common import Subparsers, settings_for
from safer.errors import SaferError


class AlertsError(SaferError):
    """A command of ``safer alerts`` that cannot be done."""


def _store(args: argparse.Namespace) -> Any:
    from redis import Redis

    from store.alert_state import AlertStore
    from store.keys import Keys

    settings = settings_for(args, "alerts")
    return AlertStore(
        Redis.from_url(settings.require_redis(), socket_timeout=10), Keys(settings.redis_prefix)
    )


def _latest(args: argparse.Namespace) -> list[Any]:
    """The latest message of each alert, newest first (active ones only with --active)."""
    seen: dict[str, Any] = {}
    for event in _store(args).history(args.limit):
        seen.setdefault(event.id, event)
    found = list(seen.values())
    if args.active:
        found = [e for e in found if e.state.value != "resolved"]
    return found


def _list(args: argparse.Namespace) -> int:
    found = _latest(args)
    if args.format == "json":
        print(json.dumps([json.loads(e.model_dump_json()) for e in found], indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="alerts (newest first)")
    for column in ("id", "state", "kind", "area", "group", "window", "observed", "expected", "p"):
        table.add_column(
            column, justify="right" if column in ("observed", "expected", "p") else "left"
        )
    for e in found:
        table.add_row(
            e.id,
            e.state.value,
            e.kind.value,
            e.area_name,
            e.group,
            e.window,
            str(e.observed),
            "" if e.expected is None else f"{e.expected:.1f}",
            "" if e.p is None else f"{e.p:.2g}",
        )
    Console(width=max(Console().width, 120)).print(table)
    if not found:
        print("no alerts" + (" active" if args.active else ""))
    status = _store(args).snapshot(1).status
    if status is not None and not status.enough:
        print(status.text)
    return 0


def _show(args: argparse.Namespace) -> int:
    messages = [e for e in _store(args).history(50_000) if e.id == args.id]
    if not messages:
        raise AlertsError(f"no alert {args.id!r} (`safer alerts list`)")
    for e in reversed(messages):
        print(f"{e.updated_at:%Y-%m-%d %H:%M:%S}Z  #{e.sequence} {e.state.value}: {e.sentence}")
    latest = messages[0]
    sources = f"sources {', '.join(latest.sources)}"
    if latest.p is None:  # a near-repeat or cross-agency rule
        print(f"\n{latest.observed} matched, near {latest.earlier} earlier; {sources}")
        if latest.record_keys:
            print("incidents: " + ", ".join(latest.record_keys))
        return 0
    print(
        f"\nexpected {latest.expected or 0:.2f} (spread {latest.spread or 0:.2f}); "
        f"p {latest.p:.3g}, adjusted {latest.p_adjusted or 0:.3g} against "
        f"{latest.threshold or 0:g}; {latest.history_weeks} weeks of history; {sources}"
    )
    return 0


def register_alerts(sub: Subparsers) -> None:
    p = sub.add_parser(
        "alerts",
        help="alerts the worker raised (spikes, near-repeats, cross-agency): list, show",
        description="Alerts are raised in the stream when a window's count is far above its "
        "expected count (negative binomial, Benjamini-Hochberg across every test), and when "
        "an incident falls near earlier ones under a near-repeat or cross-agency rule.",
    )
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = s.add_parser("list", help="the latest state of each alert, newest first")
    ls.add_argument("--active", action="store_true", help="only alerts not resolved")
    ls.add_argument("--format", choices=("table", "json"), default="table")
    ls.add_argument("--limit", type=int, default=2000, help="messages read (default 2000)")
    ls.set_defaults(handler=_list)
    sh = s.add_parser("show", help="every message of one alert, oldest first")
    sh.add_argument("id")
    sh.set_defaults(handler=_show)
