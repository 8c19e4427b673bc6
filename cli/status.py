"""``safer status``: is each part up, and what do the live counts say?"""

from __future__ import annotations

import argparse
from typing import Any

from redis import Redis
from rich.console import Console
from rich.table import Table

from cli.common import Subparsers, settings_for
from safer.settings import Settings, read_stack_file
from schemas.calendar import local
from store.keys import Keys
from store.reader import StoreReader
from store.simulated import SimulatedHistory, history_of, read_history

WHEN = "%Y-%m-%d %H:%M"


def print_status(settings: Settings) -> int:
    console = Console()
    stack = read_stack_file(settings.stack_file)
    healthy = True
    table = Table(title="safer-tracker status")
    table.add_column("part")
    table.add_column("state")
    table.add_column("detail")
    try:
        from bus.admin import cluster_id

        table.add_row(
            "kafka",
            "[green]up[/green]",
            f"{settings.require_kafka()} ({cluster_id(settings.require_kafka())})",
        )
    except Exception as exc:  # noqa: BLE001 - any failure means 'down', shown to the user
        healthy = False
        table.add_row("kafka", "[red]down[/red]", str(exc))
    try:
        redis = Redis.from_url(settings.require_redis(), socket_timeout=2)
        snapshot = StoreReader.of(redis, settings).live_snapshot(latest=1)
        by_source = snapshot.total_by("source")
        detail = ", ".join(f"{s}={n}" for s, n in sorted(by_source.items())) or "no counts yet"
        table.add_row("redis", "[green]up[/green]", f"{settings.redis_url}: {detail}")
        dead = sum(snapshot.deadletters.values())
        table.add_row("dead letters", "", str(dead))
        outcomes = snapshot.outcomes.items()
        late = {k.partition("|")[2]: n for k, n in outcomes if k.startswith("late|")}
        detail = ", ".join(f"{s}={n}" for s, n in sorted(late.items()))
        late_text = f"{detail} (after their source's grace)" if detail else "none"
        table.add_row("late arrivals", "", late_text)
        history = read_history(redis, Keys(settings.redis_prefix))
        table.add_row("simulated history", "", history_text(history, stack))
    except Exception as exc:  # noqa: BLE001 - any failure means 'down', shown to the user
        healthy = False
        table.add_row("redis", "[red]down[/red]", str(exc))
    if stack.get("worker_metrics_url"):
        table.add_row("worker metrics", "", str(stack["worker_metrics_url"]))
    if stack.get("dashboard_url"):
        table.add_row("dashboard", "", str(stack["dashboard_url"]))
    console.print(table)
    return 0 if healthy else 1


def history_text(history: SimulatedHistory | None, stack: dict[str, Any]) -> str:
    """The marker in Redis (else the stack file's) in words: the log holds simulated
    messages, not a partner's, from when to when."""
    if history is None:
        raw = stack.get("simulated_history")
        history = history_of(raw) if isinstance(raw, dict) else None
    if history is None:
        return "none"
    return (
        f"{history.messages:,} simulated messages arriving from {local(history.start):{WHEN}} "
        f"to {local(history.end):{WHEN}} UK time, at {history.rate:g}/s (not real incidents)"
    )


def _status(args: argparse.Namespace) -> int:
    from cli.status import print_status

    return print_status(settings_for(args, "status"))


def register_status(sub: Subparsers) -> None:
    p = sub.add_parser(
        "status",
        help="health and live counts of the running stack",
        description="Reads the local stack file (or SAFER_* settings).",
    )
    p.set_defaults(handler=_status)
