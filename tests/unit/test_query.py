"""``safer query``'s pure parts: window resolution, row shaping and grouping, provisional."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from aggregates.buckets import epoch_hour, hour_start
from aggregates.config import AggregationConfig
from cli.query import (
    Figure,
    Query,
    columns,
    grouped,
    is_provisional,
    register_query,
    shape_rows,
    table_cell,
)
from cli.query_window import (
    QueryError,
    Window,
    parse_time,
    resolve_window,
    to_hours,
    within_retention,
)
from schemas.calendar import LONDON

CONFIG = AggregationConfig()
NOW = datetime(2025, 6, 10, 14, 25, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def bounds(window: Window) -> tuple[datetime, datetime]:
    return window.start_time, window.end_time


def test_naive_time_is_london_local() -> None:
    """A time without zone is read as Europe/London local time (BST in summer)."""
    assert parse_time("2025-07-01T09:00") == utc(2025, 7, 1, 8)
    assert parse_time("2025-01-01T09:00") == utc(2025, 1, 1, 9)
    assert parse_time("2025-07-01T09:00Z") == utc(2025, 7, 1, 9)


def test_bad_time_is_an_argument_error() -> None:
    """Text that is not ISO 8601 is refused as an argument error."""
    with pytest.raises(argparse.ArgumentTypeError):
        parse_time("yesterday")


def test_bounds_round_outward_to_whole_hours() -> None:
    """The start rounds down and the end up to whole UTC hours, with a note."""
    window = to_hours(utc(2025, 6, 1, 10, 20), utc(2025, 6, 1, 12, 10))
    assert bounds(window) == (utc(2025, 6, 1, 10), utc(2025, 6, 1, 13))
    assert window.notes == ("rounded outward to whole UTC hours",)


def test_whole_hour_bounds_are_kept_without_note() -> None:
    """Bounds already on whole hours are the effective window, with no note."""
    window = to_hours(utc(2025, 6, 1, 10), utc(2025, 6, 1, 12))
    assert (window.end - window.start, window.notes) == (2, ())


def test_end_not_after_start_is_refused() -> None:
    """An end before (or equal to) the start is a query error."""
    with pytest.raises(QueryError, match="not after start"):
        to_hours(utc(2025, 6, 2), utc(2025, 6, 1))
    with pytest.raises(QueryError):
        to_hours(utc(2025, 6, 2), utc(2025, 6, 2))


def test_local_day_across_spring_forward_is_23_hours() -> None:
    """The local day of the March clock change spans 23 UTC hours."""
    window = resolve_window(
        now=NOW,
        config=CONFIG,
        start=parse_time("2025-03-30T00:00"),
        end=parse_time("2025-03-31T00:00"),
    )
    assert bounds(window) == (utc(2025, 3, 30, 0), utc(2025, 3, 30, 23))
    assert window.end - window.start == 23


def test_local_day_across_fall_back_is_25_hours() -> None:
    """The local day of the October clock change spans 25 UTC hours."""
    window = resolve_window(
        now=NOW,
        config=CONFIG,
        start=parse_time("2024-10-27T00:00"),
        end=parse_time("2024-10-28T00:00"),
    )
    assert bounds(window) == (utc(2024, 10, 26, 23), utc(2024, 10, 28, 0))
    assert window.end - window.start == 25


def test_window_beyond_hourly_retention_rounds_to_local_days() -> None:
    """A window older than the hourly retention becomes whole local days, with a note."""
    window = within_retention(to_hours(utc(2024, 1, 10, 9), utc(2024, 1, 10, 15)), NOW, CONFIG)
    assert bounds(window) == (utc(2024, 1, 10), utc(2024, 1, 11))
    assert "whole local days" in window.notes[-1]
    summer = within_retention(to_hours(utc(2024, 5, 1, 9), utc(2024, 5, 2, 3)), NOW, CONFIG)
    assert bounds(summer) == (utc(2024, 4, 30, 23), utc(2024, 5, 2, 23))


def test_window_beyond_daily_retention_rounds_to_local_months() -> None:
    """A window older than the daily retention becomes whole local months (BST aware)."""
    window = within_retention(to_hours(utc(2019, 7, 3, 9), utc(2019, 7, 20)), NOW, CONFIG)
    assert bounds(window) == (utc(2019, 6, 30, 23), utc(2019, 7, 31, 23))
    assert "whole local months" in window.notes[-1]


def test_recent_window_is_not_rounded_for_retention() -> None:
    """A window within the hourly retention keeps its whole hours."""
    window = to_hours(utc(2025, 5, 1, 9), utc(2025, 5, 1, 15))
    assert within_retention(window, NOW, CONFIG) == window


def test_compare_year_considers_the_year_earlier_window() -> None:
    """With --compare-year the window 364 days earlier decides the retention rounding."""
    window = to_hours(utc(2025, 4, 1, 9), utc(2025, 4, 1, 15))  # 70 days old: 434 a year back
    assert within_retention(window, NOW, CONFIG) == window
    rounded = within_retention(window, NOW, CONFIG, compare_year=True)
    assert bounds(rounded) == (utc(2025, 3, 31, 23), utc(2025, 4, 1, 23))
    assert "year-earlier" in rounded.notes[-1]


def test_window_and_bounds_together_are_refused() -> None:
    """--window with --start/--end, or only one bound, is a query error."""
    with pytest.raises(QueryError, match="not both"):
        resolve_window(now=NOW, config=CONFIG, window="24h", end=NOW)
    with pytest.raises(QueryError, match="both --start and --end"):
        resolve_window(now=NOW, config=CONFIG, start=NOW)


FIGURES = [
    Figure("E05000956", "burglary", 3, 1),
    Figure("E05000956", "robbery", 2, 0),
    Figure("E05000956", "asb-nuisance", 4, 0),
    Figure("E05000956", "call-asb", 1, 2),
    Figure("E05000956", "secondary-fire", 5, 0),
    Figure("E05000960", "burglary", 7, 0),
    Figure("E05000960", "drugs", 0, 0),
]


def test_group_by_source_sums_categories() -> None:
    """--by source sums every category of a source per area."""
    assert grouped(FIGURES, "source") == {
        ("E05000956", "police"): (5, 1),
        ("E05000956", "council"): (5, 2),
        ("E05000956", "fire"): (5, 0),
        ("E05000960", "police"): (7, 0),
    }


def test_group_by_kind_separates_asb_from_calls() -> None:
    """--by kind keeps council ASB and control-room calls apart."""
    kinds = grouped(FIGURES, "kind", areas=["E05000956"])
    assert kinds[("E05000956", "council.asb")] == (4, 0)
    assert kinds[("E05000956", "council.call")] == (1, 2)
    assert kinds[("E05000956", "police.crime")] == (5, 1)


def test_filters_by_source_category_and_area() -> None:
    """--source, --category and --area keep only matching figures."""
    assert grouped(FIGURES, "category", sources=["fire"]) == {
        ("E05000956", "secondary-fire"): (5, 0)
    }
    assert grouped(FIGURES, "category", categories=["burglary"], areas=["E05000960"]) == {
        ("E05000960", "burglary"): (7, 0)
    }


def test_provisional_follows_each_source_grace() -> None:
    """A window ending 10 days ago is provisional for police (62 d grace), not for fire."""
    end = NOW - timedelta(days=10)
    assert is_provisional(end, "police", NOW, CONFIG)
    assert not is_provisional(end, "fire", NOW, CONFIG)
    assert not is_provisional(end, "council", NOW, CONFIG)
    assert is_provisional(NOW - timedelta(hours=47), "council", NOW, CONFIG)


def test_rows_are_shaped_sorted_and_zero_rows_left_out() -> None:
    """Rows carry names, counts, provisional and the window; all-zero rows are dropped."""
    end = epoch_hour(NOW - timedelta(hours=46))
    window = Window(end - 24, end)
    rows = shape_rows(
        Query(level="ward"),
        window,
        FIGURES,
        [],
        NOW,
        CONFIG,
        {"E05000956": "Birkenhead"},
        {"E05000956": 15_000},
    )
    assert [(r["area"], r["category"]) for r in rows] == [
        ("E05000956", "asb-nuisance"),
        ("E05000956", "burglary"),
        ("E05000956", "call-asb"),
        ("E05000956", "robbery"),
        ("E05000956", "secondary-fire"),
        ("E05000960", "burglary"),
    ]
    assert rows[1] == {
        "area": "E05000956",
        "area_name": "Birkenhead",
        "category": "burglary",
        "count": 3,
        "unplaced": 1,
        "provisional": True,
        "rate_per_1000": 0.2,  # 3 per 15,000 residents
        "start": "2025-06-07T16:00:00Z",
        "end": "2025-06-08T16:00:00Z",
    }
    assert rows[5]["rate_per_1000"] is None  # population unknown
    assert rows[0]["provisional"] is True  # council: 48 h grace, window ended 46 h ago
    assert rows[4]["provisional"] is False  # fire: 24 h grace
    assert rows[5]["area_name"] == "E05000960"  # unknown code: the code itself


def test_compare_year_adds_year_earlier_figures() -> None:
    """--compare-year adds year-earlier figures and keeps rows that fell to zero."""
    window = Window(epoch_hour(NOW) - 24, epoch_hour(NOW))
    before = [Figure("E08000015", "burglary", 9, 1), Figure("E08000015", "drugs", 2, 0)]
    now_rows = [Figure("E08000015", "burglary", 4, 0)]
    query = Query(level="borough", by="source", compare_year=True)
    rows = shape_rows(query, window, now_rows, before, NOW, CONFIG, {"E08000015": "Wirral"})
    assert len(rows) == 1
    assert rows[0]["area_name"] == "Wirral"
    assert (rows[0]["source"], rows[0]["count"], rows[0]["count_year_earlier"]) == (
        "police",
        4,
        11,
    )
    assert rows[0]["unplaced_year_earlier"] == 1
    fell = shape_rows(Query(level="borough", compare_year=True), window, [], before, NOW, CONFIG)
    assert [(r["category"], r["count"], r["count_year_earlier"]) for r in fell] == [
        ("burglary", 0, 9),
        ("drugs", 0, 2),
    ]
    assert columns(query)[-4:] == ["count_year_earlier", "unplaced_year_earlier", "start", "end"]


def test_cell_area_name_is_the_cell_id() -> None:
    """At cell level the area name is the grid cell id itself."""
    window = Window(epoch_hour(NOW) - 1, epoch_hour(NOW))
    rows = shape_rows(
        Query(level="cell"), window, [Figure("331000_388250", "drugs", 1, 0)], [], NOW, CONFIG
    )
    assert rows[0]["area_name"] == "331000_388250"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safer")
    register_query(parser.add_subparsers(dest="command", required=True))
    return parser


def test_parser_reads_a_full_query() -> None:
    """The parser accepts every option and sets the handler."""
    args = _parser().parse_args(
        [
            "query", "counts", "--level", "ward", "--start", "2025-06-01T00:00",
            "--end", "2025-06-02T00:00Z", "--by", "source", "--source", "police",
            "--category", "burglary", "--area", "E05000956", "--compare-year",
            "--format", "csv",
        ]
    )  # fmt: skip
    assert args.start == datetime(2025, 6, 1, tzinfo=LONDON)
    assert (args.by, args.source, args.category, args.format) == (
        "source",
        ["police"],
        ["burglary"],
        "csv",
    )
    assert callable(args.handler)


@pytest.mark.parametrize(
    "argv",
    [
        ["--level", "county", "--window", "24h"],
        ["--level", "ward", "--window", "24h", "--category", "arson"],
        ["--level", "ward", "--window", "24h", "--source", "ambulance"],
        ["--level", "ward", "--window", "24h", "--start", "2025-06-01T00:00"],
        ["--level", "ward", "--start", "last tuesday", "--end", "2025-06-01T00:00"],
    ],
)
def test_parser_refuses_bad_queries_with_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad level, category, source, time or option mix exit with code 2 and a message."""
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["query", "counts", *argv])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_hour_start_round_trip_for_effective_bounds() -> None:
    """The effective window's times are the bucket boundaries it reads."""
    window = to_hours(utc(2025, 6, 1, 10, 1), utc(2025, 6, 1, 10, 2))
    assert (window.start_time, window.end_time) == (hour_start(window.start), utc(2025, 6, 1, 11))


def test_populations_per_level_add_up() -> None:
    """Ward populations are sums of their LSOAs', the borough's the sum of all."""
    from cli.query import names_of, population_of
    from geography.areas import load_areas

    areas = load_areas()
    lsoa = population_of("lsoa", areas)
    ward = population_of("ward", areas)
    borough = population_of("borough", areas)
    assert len(lsoa) == 206
    assert len(ward) == 22
    assert sum(lsoa.values()) == sum(ward.values()) == borough["E08000015"] > 300_000
    assert population_of("cell", areas) == {}
    assert names_of("borough", areas) == {"E08000015": "Wirral"}
    assert names_of("ward", areas)["E05000956"] == "Birkenhead and Tranmere"


def test_table_shows_provisional_as_yes_or_no() -> None:
    """People read the table: provisional is 'yes' or 'no', never a blank."""
    assert table_cell("provisional", True) == "yes"
    assert table_cell("provisional", False) == "no"
    assert table_cell("count", 3) == "3"
