"""``safer operations``: add, list, show, evaluate, report and withdraw operations
(``operations``).

``add`` checks and saves a new version, then back-fills it (the aggregates rebuilt so the
operation is counted over the whole log; progress shown), unless ``--no-wait``: the
worker then does it within seconds.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.common import Subparsers, settings_for
from safer.errors import SaferError
from safer.settings import Settings


class OperationsError(SaferError):
    """A command of ``safer operations`` that cannot be done."""


def _registry(settings: Settings) -> Any:
    from operations.registry import Registry

    return Registry(settings.state_dir)


def _add(args: argparse.Namespace) -> int:
    from geography.areas import load_areas
    from operations.registry import read_files

    settings = settings_for(args, "operations")
    path: Path = args.file
    if not path.is_file():
        raise OperationsError(f"{path}: no such file")
    files = read_files(path)
    version = _registry(settings).save(
        path.read_text(encoding="utf-8"),
        load_areas(settings.partnership),
        files,
        by=args.by,
        note=args.note,
        origin=path.name,
    )
    print(f"saved {version.slug} version {version.version} ({version.saved_at})")
    if args.no_wait:
        print("the worker back-fills it within seconds (`safer operations list` shows when)")
        return 0
    return _backfill(settings)


def _backfill(settings: Settings) -> int:
    """Run the back-fill here (or follow the worker's, if it has started one)."""
    from redis import Redis
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from store.keys import Keys
    from store.operation_counts import Backfill
    from streams.backfill import needed, run_backfill, wanted_digest

    redis = Redis.from_url(settings.require_redis(), socket_timeout=10)
    keys = Keys(settings.redis_prefix)
    columns = (
        *Progress.get_default_columns()[:2],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns) as bar:
            task = bar.add_task("back-filling the operation from the canonical topic", total=None)
            while needed(settings, redis):
                report = run_backfill(
                    settings, lambda done, total: bar.update(task, completed=done, total=total)
                )
                if report is not None:
                    break
                state = Backfill.read(redis, keys)  # someone else runs it: follow
                if state is not None and state.digest == wanted_digest(settings):
                    bar.update(task, completed=state.done, total=state.total or None)
                time.sleep(0.5)
    finally:
        redis.close()
    print("counted in the live aggregates")
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    settings = settings_for(args, "operations")
    version = _registry(settings).withdraw(args.slug, by=args.by, note=args.note)
    print(f"withdrew {version.slug} (version {version.version}, {version.saved_at})")
    if args.no_wait:
        print("the worker stops counting it within seconds")
        return 0
    return _backfill(settings)


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from geography.areas import load_areas
    from operations.report import status_of

    settings = settings_for(args, "operations")
    registry = _registry(settings)
    areas = load_areas(settings.partnership)
    live = _live_versions(settings)
    now = datetime.now(UTC)
    grace = dict(settings.grace_hours)
    table = Table(title="operations")
    for column in ("slug", "name", "version", "status", "period", "counted"):
        table.add_column(column)
    for slug in registry.slugs():
        latest = registry.latest(slug)
        if latest is None:
            continue
        op = latest.resolved(areas)
        counted = live.get(slug)
        shown = (
            "yes" if counted == latest.version else f"version {counted}" if counted else "not yet"
        )
        if latest.withdrawn:
            shown = f"until withdrawn: version {counted}" if counted else "no"
        spec = op.spec
        table.add_row(
            slug,
            spec.name,
            str(latest.version),
            "withdrawn" if latest.withdrawn else status_of(op, now, grace),
            f"{spec.start} – {spec.end}",
            shown,
        )
    Console(width=max(Console().width, 110)).print(table)
    return 0


def _live_versions(settings: Settings) -> dict[str, int]:
    """slug -> the version the live aggregates count ({} when Redis cannot be reached)."""
    from redis import Redis
    from redis.exceptions import RedisError

    from store.keys import Keys
    from store.operation_counts import live_operations

    redis = Redis.from_url(settings.require_redis(), socket_timeout=5)
    try:
        _, snapshot = live_operations(redis, Keys(settings.redis_prefix))
    except RedisError:
        return {}
    finally:
        redis.close()
    return {v.slug: v.version for v in snapshot.versions}


def _show(args: argparse.Namespace) -> int:
    settings = settings_for(args, "operations")
    versions = _registry(settings).versions(args.slug)
    if not versions:
        raise OperationsError(f"no operation {args.slug!r} (`safer operations list`)")
    for version in versions:
        note = f" — {version.note}" if version.note else ""
        by = f" by {version.by}" if version.by else ""
        what = "withdrawn" if version.withdrawn else "saved"
        print(f"# version {version.version}, {what} {version.saved_at}{by}{note}")
    print()
    print(versions[-1].toml.rstrip())
    return 0


def evaluation_of(settings: Settings, slug: str, now: datetime) -> tuple[dict[str, Any], Any]:
    """The live evaluation of an operation and the resolved version it is of."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from store.operation_counts import live_evaluation

    url = settings.require_redis()
    redis = Redis.from_url(url, socket_timeout=10)
    try:
        return live_evaluation(redis, settings, slug, now)
    except RedisConnectionError as exc:
        raise OperationsError(f"cannot reach Redis at {url}: {exc}") from exc
    finally:
        redis.close()


def _evaluate(args: argparse.Namespace) -> int:
    settings = settings_for(args, "operations")
    now = args.at or datetime.now(UTC)
    result, _ = evaluation_of(settings, args.slug, now)
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return 0
    _print_table(result)
    return 0


def _report(args: argparse.Namespace) -> int:
    from geography.areas import load_areas
    from operations.documents import to_pdf
    from operations.workbook import to_xlsx

    if args.pdf is None and args.xlsx is None:
        raise OperationsError("give --pdf FILE and/or --xlsx FILE")
    settings = settings_for(args, "operations")
    result, op = evaluation_of(settings, args.slug, args.at or datetime.now(UTC))
    names = load_areas(settings.partnership).ward_names
    written: list[tuple[Path, bytes]] = []
    if args.pdf is not None:
        written.append((args.pdf, to_pdf(result, op, names)))
    if args.xlsx is not None:
        written.append((args.xlsx, to_xlsx(result, names)))
    for path, data in written:
        path.write_bytes(data)
        print(f"wrote {path} ({len(data):,} bytes)")
    return 0


def _print_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 110))
    compared = result["compared"]
    table = Table(
        title=f"{result['name']} (version {result['version']}, {result['status']})",
        caption=(
            f"operation {compared['operation']['start']} – {compared['operation']['end']}; "
            f"baseline {compared['baseline']['start']} – {compared['baseline']['end']}"
        ),
    )
    for column in ("zone", "baseline", "operation", "rate ratio (95% interval)", "p"):
        table.add_column(column, justify="left" if column == "zone" else "right")
    for zone, counts in result["counts"].items():
        ratio = result["rate_ratio"].get(zone) or {}
        estimate = ratio.get("estimate")
        interval = (
            f"{estimate:.2f} ({_num(ratio.get('low'))}–{_num(ratio.get('high'))})"
            if estimate is not None
            else "–"
        )
        p = ratio.get("p")
        table.add_row(
            zone.replace("_", " "),
            f"{counts['baseline']:,}",
            f"{counts['operation']:,}",
            interval,
            "–" if p is None else f"{p:.3f}",
        )
    console.print(table)
    wdd = result.get("wdd")
    if wdd:
        console.print(
            f"WDD {wdd['estimate']:+.1f} (variance {wdd['variance']:.1f}, z {_num(wdd['z'])}, "
            f"p {_num(wdd['p'], 3)}); WDQ {_num(result['wdq'])}"
            + (f" ({result['wdq_reason']})" if result["wdq_reason"] else "")
            + f"; net effect {_num(result['net_effect'], 1)}; "
            f"Maryland level {result['maryland_level']}"
        )
    else:
        console.print(f"WDD not computed: {result.get('wdd_reason') or 'no statistics'}")
    for zone, words in result.get("in_words", {}).items():
        console.print(f"{zone.replace('_', ' ')}: {words}")
    for caveat in result["caveats"]:
        console.print(f"- {caveat}")


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _when(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def register_operations(sub: Subparsers) -> None:
    p = sub.add_parser(
        "operations",
        help="operations (e.g. Operation Open Space): add, list, show, evaluate, report, withdraw",
        description="Operations are tracked live in their target, buffer and control zones "
        "and evaluated before/after against a control (rate ratios, WDD, WDQ).",
    )
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = s.add_parser("add", help="check and save an operation file (a new version)")
    a.add_argument("file", type=Path, help="the operation's TOML file")
    a.add_argument("--by", default="", help="who saves it (kept in its history)")
    a.add_argument("--note", default="", help="what changed (kept in its history)")
    a.add_argument(
        "--no-wait", action="store_true", help="leave the back-fill to the running worker"
    )
    a.set_defaults(handler=_add)
    ls = s.add_parser("list", help="every operation, its status and whether it is counted")
    ls.set_defaults(handler=_list)
    sh = s.add_parser("show", help="an operation's file and its version history")
    sh.add_argument("slug")
    sh.set_defaults(handler=_show)
    e = s.add_parser("evaluate", help="how an operation is doing (so far, or final)")
    e.add_argument("slug")
    e.add_argument("--format", choices=("table", "json"), default="table")
    e.add_argument("--at", type=_when, help="evaluate as at this time (ISO 8601; default now)")
    e.set_defaults(handler=_evaluate)
    r = s.add_parser("report", help="the evaluation report as PDF and/or Excel")
    r.add_argument("slug")
    r.add_argument("--pdf", type=Path, help="write the PDF report here")
    r.add_argument("--xlsx", type=Path, help="write the Excel workbook here")
    r.add_argument("--at", type=_when, help="as at this time (ISO 8601; default now)")
    r.set_defaults(handler=_report)
    w = s.add_parser(
        "withdraw", help="stop counting an operation (its history kept; `add` restores it)"
    )
    w.add_argument("slug")
    w.add_argument("--by", default="", help="who withdraws it (kept in its history)")
    w.add_argument("--note", default="", help="why (kept in its history)")
    w.add_argument("--no-wait", action="store_true", help="leave the rebuild to the worker")
    w.set_defaults(handler=_withdraw)
