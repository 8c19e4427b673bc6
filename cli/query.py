"""``safer query``: exact window counts from the Redis aggregates, for scripts and checks.

``safer query counts`` reads one window through ``StoreReader.window`` (one Redis round
trip) and prints one row per area and category (or source, or kind) as JSON, CSV or a
table. The pure parts — resolving the requested window to whole epoch hours, shaping and
grouping rows, the provisional flag — are small functions tested without Redis.

Effective window: buckets are whole UTC hours, so the start is rounded down and the end
up to whole hours (further out to whole local days or months when the window reaches back
beyond the hourly or daily retention). The effective window is printed to stderr for
every format and is also carried by every output row as ``start`` / ``end`` (ISO 8601,
UTC), so a JSON consumer still gets a plain array of objects.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from aggregates.config import LEVELS, SEARCH, WIDER_LEVEL, AggregationConfig
from aggregates.periods import ROLLING
from cli.query_window import QueryError, Window, iso, parse_time, resolve_window
from geography.areas import Areas
from schemas.categories import CATEGORY_KIND, CATEGORY_SOURCE, KIND_SOURCE, EventKind, Source

Subparsers = Any  # argparse's private _SubParsersAction

GROUPS = ("category", "source", "kind")
FORMATS = ("json", "csv", "table")


MEASURES = {"incidents": "cat", "stop-searches": SEARCH}
"""``--of``: the breakdown each measure is read from (stop and search has keys of its own)."""


# --- rows -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One reader row, reduced to what grouping needs (a ``store.reader.WindowRow``)."""

    area: str
    category: str
    count: int
    unplaced: int


def group_key(category: str, by: str) -> str:
    """The category itself, or its source or kind (``unknown`` for an unknown slug)."""
    if by == "category":
        return category
    if by == "source":
        source = CATEGORY_SOURCE.get(category)
        return source.value if source else "unknown"
    if by == "kind":
        kind = CATEGORY_KIND.get(category)
        return kind.value if kind else "unknown"
    raise QueryError(f"cannot group by {by!r} (one of {', '.join(GROUPS)})")


def source_of(key: str, by: str) -> str:
    """The source whose grace decides whether a row is provisional."""
    if by == "source":
        return key
    if by == "kind":
        kinds = {k.value: k for k in EventKind}
        return KIND_SOURCE[kinds[key]].value if key in kinds else ""
    source = CATEGORY_SOURCE.get(key)
    return source.value if source else ""


def is_provisional(end: datetime, source: str, now: datetime, config: AggregationConfig) -> bool:
    """True while the window's end is later than now minus the source's grace."""
    return end > now - timedelta(seconds=config.grace_s(source))


def grouped(
    figures: Iterable[Figure],
    by: str,
    sources: Sequence[str] = (),
    categories: Sequence[str] = (),
    areas: Sequence[str] = (),
) -> dict[tuple[str, str], tuple[int, int]]:
    """(area, key) -> (count, unplaced), summed over the filtered categories."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for f in figures:
        if areas and f.area not in areas:
            continue
        if categories and f.category not in categories:
            continue
        if sources and group_key(f.category, "source") not in sources:
            continue
        key = (f.area, group_key(f.category, by))
        count, unplaced = out.get(key, (0, 0))
        out[key] = (count + f.count, unplaced + f.unplaced)
    return out


@dataclass(frozen=True, slots=True)
class Query:
    level: str
    by: str = "category"
    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    compare_year: bool = False


def shape_rows(
    query: Query,
    window: Window,
    rows: Iterable[Figure],
    year_earlier: Iterable[Figure],
    now: datetime,
    config: AggregationConfig,
    names: dict[str, str] | None = None,
    population: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Output objects sorted by area then key; all-zero rows are left out (with
    ``compare_year`` a row stays when its year-earlier figures are not zero). ``names``: the
    level's area names (an unnamed area, a grid cell, is named by its code). With the
    areas' ``population``, each row has its rate per 1,000 residents (None: unknown)."""
    known = names or {}
    residents = population or {}
    filters = (query.sources, query.categories, query.areas)
    now_rows = grouped(rows, query.by, *filters)
    then_rows = grouped(year_earlier, query.by, *filters) if query.compare_year else {}
    out = []
    for area, key in sorted(now_rows.keys() | then_rows.keys()):
        count, unplaced = now_rows.get((area, key), (0, 0))
        before = then_rows.get((area, key), (0, 0))
        if not (count or unplaced or any(before)):
            continue
        row: dict[str, Any] = {
            "area": area,
            "area_name": known.get(area, area),
            query.by: key,
            "count": count,
            "unplaced": unplaced,
            "provisional": is_provisional(window.end_time, source_of(key, query.by), now, config),
            "rate_per_1000": rate_per_1000(count, residents.get(area)),
        }
        if query.compare_year:
            row["count_year_earlier"], row["unplaced_year_earlier"] = before
        row["start"], row["end"] = iso(window.start_time), iso(window.end_time)
        out.append(row)
    return out


def rate_per_1000(count: int, residents: int | None) -> float | None:
    """Events per 1,000 residents (Census 2011 usual residents), to 2 decimals."""
    return round(count * 1000 / residents, 2) if residents else None


def population_of(level: str, areas: Areas) -> dict[str, int]:
    """Usual residents per area code of a level (cells and places have none)."""
    if level == WIDER_LEVEL:
        return dict(areas.comparison.population) if areas.comparison else {}
    if level == "lsoa":
        return {lsoa.code: lsoa.population for lsoa in areas.lsoas}
    if level == "ward":
        return areas.ward_population()
    if level == "borough":
        return areas.authority_population()
    return {}


def names_of(level: str, areas: Areas) -> dict[str, str]:
    """Area names per area code of a level (cells have none; a place code names itself)."""
    if level == WIDER_LEVEL:
        return dict(areas.comparison.authority_names) if areas.comparison else {}
    if level == "lsoa":
        return {lsoa.code: lsoa.name for lsoa in areas.lsoas}
    if level == "ward":
        return dict(areas.ward_names)
    if level == "borough":
        return dict(areas.authority_names)
    return {}


def columns(query: Query) -> list[str]:
    cols = ["area", "area_name", query.by, "count", "unplaced", "provisional", "rate_per_1000"]
    if query.compare_year:
        cols += ["count_year_earlier", "unplaced_year_earlier"]
    return [*cols, "start", "end"]


# --- output -----------------------------------------------------------------------------


def write_json(rows: list[dict[str, Any]], out: TextIO) -> None:
    out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


def write_csv(rows: list[dict[str, Any]], cols: list[str], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: str(v).lower() if isinstance(v, bool) else v for k, v in row.items()})


def write_table(rows: list[dict[str, Any]], cols: list[str], window: Window, level: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"counts by {level}", caption=window.describe())
    shown = [c for c in cols if c not in ("start", "end")]
    for col in shown:
        numeric = col.startswith(("count", "unplaced", "rate"))
        title = "per 1,000" if col == "rate_per_1000" else col.replace("_", " ")
        table.add_column(title, justify="right" if numeric else "left", no_wrap=not numeric)
    for row in rows:
        table.add_row(*(table_cell(c, row[c]) for c in shown))
    Console(width=max(Console().width, 120)).print(table)


def table_cell(column: str, value: Any) -> str:
    if column == "provisional":
        return "yes" if value else "no"
    return "" if value is None else str(value)


# --- command ----------------------------------------------------------------------------


def _category(text: str) -> str:
    if text not in CATEGORY_SOURCE:
        raise argparse.ArgumentTypeError(
            f"unknown category {text!r} (one of {', '.join(sorted(CATEGORY_SOURCE))})"
        )
    return text


def run_counts(args: argparse.Namespace, now: datetime | None = None) -> int:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    from geography.areas import load_areas
    from safer.settings import load_settings
    from store.keys import Keys
    from store.reader import StoreReader

    if args.level not in LEVELS:
        raise QueryError(f"unknown level {args.level!r} (one of {', '.join(LEVELS)})")
    now = now or datetime.now(UTC)
    settings = load_settings()
    config = AggregationConfig.from_settings(settings)
    window = resolve_window(
        now=now,
        config=config,
        window=args.window,
        start=args.start,
        end=args.end,
        compare_year=args.compare_year,
    )
    query = Query(
        level=args.level,
        by=args.by,
        sources=tuple(args.source or ()),
        categories=tuple(args.category or ()),
        areas=tuple(args.area or ()),
        compare_year=args.compare_year,
    )
    areas = load_areas(settings.partnership)
    if args.level == WIDER_LEVEL and areas.comparison is None:
        raise QueryError(
            f"level {WIDER_LEVEL!r}: partnership {areas.name or 'file'} names no comparison "
            "area ([comparison] in its file)"
        )
    url = settings.require_redis()
    redis = Redis.from_url(url, socket_timeout=10)
    try:
        if areas.comparison is not None and args.level == WIDER_LEVEL:
            # the comparison area's authorities are its shards, not the partnership's
            reader = StoreReader(redis, Keys(settings.redis_prefix), areas.comparison.authorities)
        else:
            reader = StoreReader.of(redis, settings)
        figures = reader.window(args.level, window.start, window.end, breakdown=MEASURES[args.of])
    except RedisConnectionError as exc:
        raise QueryError(f"cannot reach Redis at {url}: {exc}") from exc
    finally:
        redis.close()
    rows = shape_rows(
        query,
        window,
        (Figure(r.area, r.category, r.count, r.unplaced) for r in figures.rows),
        (Figure(r.area, r.category, r.count, r.unplaced) for r in figures.year_earlier),
        now,
        config,
        names_of(args.level, areas),
        population_of(args.level, areas),
    )
    sys.stderr.write(f"safer query: {window.describe()}\n")
    if args.format == "json":
        write_json(rows, sys.stdout)
    elif args.format == "csv":
        write_csv(rows, columns(query), sys.stdout)
    else:
        write_table(rows, columns(query), window, args.level)
    return 0


HELP_EPILOG = """\
Times are ISO 8601 (2025-03-30T01:00:00Z, 2025-03-30T02:00+01:00); a time without a zone
is Europe/London local time. Windows are half-open [start, end). Counts are kept per whole
UTC hour: the start is rounded down and the end up to whole hours, and further out to whole
local days (months) where the window reaches back beyond the hourly (daily) retention, or
its year-earlier twin does with --compare-year. The effective window is printed to stderr
and carried by every row as "start"/"end" (UTC).

Rolling windows end at the end of the current hour: 1h, 24h, 7d, 28d are that many whole
hours; ytd starts at 1 January and fytd at 1 April (UK financial year), local midnight.

An event counts when its whole time span lies inside the window; one that only overlaps
it (e.g. a police record known only by month, in a 24h window) is "unplaced" there.
"provisional" is true while the window's end is within the source's grace period
(SAFER_GRACE_HOURS): late records may still change the figure. --compare-year adds the
same window 364 days earlier (weekdays align); a row stays when either year has figures.

--level wider reads the partnership's comparison area (e.g. Merseyside): one area per
local authority of it, the partnership's own included (equal to its borough figure); the
whole area is their sum. A store counted before the level existed needs `safer rebuild`.

Output: JSON is an array of objects sorted by area then key; CSV has the same columns
with a header row; table is for people. Exit code 2 for a bad query."""


def register_query(sub: Subparsers) -> None:
    p = sub.add_parser(
        "query",
        help="exact counts for a window, as JSON, CSV or a table",
        description="Query the live aggregates (reads Redis only).",
    )
    what = p.add_subparsers(dest="query", required=True, metavar="WHAT")
    c = what.add_parser(
        "counts",
        help="counts per area and category, source or kind for a window",
        description="Counts per area and category (or source, or kind) for a window.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument(
        "--level",
        required=True,
        choices=LEVELS,
        help="area level; wider: the comparison area's authorities (e.g. Merseyside's five, "
        "the partnership's own among them; [comparison] of the partnership file)",
    )
    when = c.add_mutually_exclusive_group()
    when.add_argument("--window", choices=ROLLING, help="a rolling window ending this hour")
    when.add_argument("--start", type=parse_time, metavar="ISO", help="window start (inclusive)")
    c.add_argument("--end", type=parse_time, metavar="ISO", help="window end (exclusive)")
    c.add_argument("--by", choices=GROUPS, default="category", help="row key (default category)")
    c.add_argument(
        "--of",
        choices=list(MEASURES),
        default="incidents",
        help="what is counted: incidents (default) or police stop and search (activity, "
        "never in incident totals)",
    )
    c.add_argument(
        "--source",
        action="append",
        choices=[s.value for s in Source],
        metavar="SOURCE",
        help="only this source (police, council, fire); repeatable",
    )
    c.add_argument(
        "--category",
        action="append",
        type=_category,
        metavar="SLUG",
        help="only this category slug, e.g. burglary; repeatable",
    )
    c.add_argument(
        "--area", action="append", metavar="CODE", help="only this area code; repeatable"
    )
    c.add_argument(
        "--compare-year",
        action="store_true",
        help="add count_year_earlier / unplaced_year_earlier (364 days earlier)",
    )
    c.add_argument("--format", choices=FORMATS, default="json", help="output format (default json)")
    c.set_defaults(handler=run_counts)
