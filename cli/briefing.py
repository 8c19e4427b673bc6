"""``safer briefing``: each subscriber's morning briefing (``consumers.briefing``)."""

from __future__ import annotations

import argparse
import time as clock
from datetime import date, datetime, timedelta
from pathlib import Path

from cli.common import Subparsers, settings_for
from safer.errors import ConfigError
from safer.settings import Settings


def _briefing(args: argparse.Namespace) -> int:
    settings = settings_for(args, "briefing")
    if args.action == "make":
        day = date.fromisoformat(args.date) if args.date else None
        for path in _make(settings, args.subscriber, day):
            print(f"wrote {path}")
        return 0
    from schemas.calendar import LONDON

    while True:  # run: each morning at SAFER_BRIEFING_HOUR, UK time
        now = datetime.now(LONDON)
        due = now.replace(hour=settings.briefing_hour, minute=0, second=0, microsecond=0)
        if due <= now:
            due += timedelta(days=1)
        print(f"next briefings at {due:%Y-%m-%d %H:%M} UK time", flush=True)
        clock.sleep((due - now).total_seconds())
        for path in _make(settings, args.subscriber, due.date()):
            print(f"wrote {path}", flush=True)


def _make(settings: Settings, only: str | None, day: date | None) -> list[Path]:
    from consumers.briefing import build, write
    from consumers.topic_reader import read_all
    from geography.areas import load_areas
    from schemas.calendar import LONDON
    from schemas.topics import Topics
    from sharing.agreements import load_agreements

    areas = load_areas(settings.partnership)
    agreements = load_agreements(settings.agreements_path, areas)
    if only is not None and only not in agreements:
        raise ConfigError(f"no agreement for subscriber {only!r} in {settings.agreements_path}")
    day = day or datetime.now(LONDON).date()
    written: list[Path] = []
    for name, agreement in sorted(agreements.items()):
        if only is not None and name != only:
            continue
        messages = read_all(
            settings.require_kafka(), Topics(settings.topic_prefix).subscriber(name).name
        )
        briefing = build(name, agreement.level.value, messages, day, settings.briefing_hour)
        folder = settings.state_dir / "briefings" / name
        written += write(
            briefing, areas, folder, settings.briefing_from, f"{name}@subscribers.invalid"
        )
    return written


def register_briefing(sub: Subparsers) -> None:
    p = sub.add_parser(
        "briefing",
        help="each subscriber's morning briefing (PDF and e-mail-ready HTML)",
        description="What happened overnight, per subscriber, from its own topic only (so "
        "within its agreement): PDF, HTML and a MIME .eml under <state_dir>/briefings/<name>/. "
        "make: now (or for --date); run: every morning at SAFER_BRIEFING_HOUR (UK time).",
    )
    p.add_argument("action", choices=["make", "run"])
    p.add_argument("--subscriber", help="only this subscriber")
    p.add_argument("--date", help="make: the briefing of this day (YYYY-MM-DD; default today)")
    p.set_defaults(handler=_briefing)
