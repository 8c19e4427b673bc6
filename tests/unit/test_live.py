"""The Live page's figures per role (``dashboard.live``), from plain rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregates.buckets import epoch_hour
from aggregates.disclosure import FEWER, Role
from dashboard import live, window_figures
from store.reader import WindowRow

NOW = datetime(2026, 7, 1, 12, 20, tzinfo=UTC)  # 13:20 BST
WARDS = {"E05000954": "Bebington", "E05000956": "Birkenhead and Tranmere"}
ALL = ("police", "council", "fire")
BEB, BIRK = "E05000954", "E05000956"

ROWS = (
    WindowRow(BEB, "asb-nuisance", "", 2, 0),
    WindowRow(BEB, "burglary", "", 1, 0),
    WindowRow(BIRK, "burglary", "", 12, 0),
    WindowRow(BIRK, "drugs", "", 3, 0),
    WindowRow(BIRK, "secondary-fire", "", 6, 0),
)


def test_analyst_ward_table_is_exact() -> None:
    table = live.ward_window_table(window_figures.cells_of(ROWS, ALL), WARDS, ALL, Role.ANALYST)
    assert table.to_dict("records") == [
        {
            "Ward": "Birkenhead and Tranmere (E05000956)",
            "Police": 15,
            "Council": 0,
            "Fire": 6,
            "Total": 21,
        },
        {"Ward": "Bebington (E05000954)", "Police": 1, "Council": 2, "Fire": 0, "Total": 3},
    ]


@pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
def test_partner_ward_table_is_suppressed_and_rounded(role: Role) -> None:
    table = live.ward_window_table(window_figures.cells_of(ROWS, ALL), WARDS, ALL, role)
    assert table.to_dict("records") == [
        # police 12 + 3 -> 12 + 2 = 14 -> 15; total 12 + 2 + 6 = 20
        {
            "Ward": "Birkenhead and Tranmere (E05000956)",
            "Police": "15",
            "Council": "0",
            "Fire": "5",
            "Total": "20",
        },
        # 2 and 1: each suppressed; the total is 'small numbers', never 3
        {
            "Ward": "Bebington (E05000954)",
            "Police": FEWER,
            "Council": FEWER,
            "Fire": "0",
            "Total": "small numbers",
        },
    ]


def test_ward_table_filtered_and_empty() -> None:
    table = live.ward_window_table(
        window_figures.cells_of(ROWS, ["fire"]), WARDS, ["fire"], Role.ANALYST
    )
    assert table.to_dict("records") == [
        {"Ward": "Birkenhead and Tranmere (E05000956)", "Fire": 6, "Total": 6}
    ]
    empty = live.ward_window_table({}, WARDS, ALL, Role.PARTNER)
    assert empty.empty
    assert list(empty.columns) == ["Ward", "Police", "Council", "Fire", "Total"]


def test_category_table_and_its_text_alternative() -> None:
    cells = window_figures.cells_of(ROWS, ALL)
    exact = live.category_window_table(cells, Role.ANALYST)
    assert list(zip(exact["Category"], exact["Incidents"], strict=True)) == [
        ("Burglary", 13),
        ("Secondary fire", 6),
        ("Drugs", 3),
        ("ASB – nuisance", 2),
    ]
    shared = live.category_window_table(cells, Role.PUBLIC)
    assert shared.to_dict("records")[0] == {"Category": "Burglary", "Incidents": 15, "Shown": "15"}
    assert live.category_text(shared) == (
        "Incidents by category, largest first — Burglary: 15; Secondary fire: 5; "
        f"ASB – nuisance: {FEWER}; Drugs: {FEWER}."
    )
    assert shared["Incidents"].isna().sum() == 2  # suppressed rows are not charted


def test_kpi_changes_only_between_shown_figures() -> None:
    now, week, year = {(BEB, "drugs"): 23}, {(BEB, "drugs"): 8}, {(BEB, "drugs"): 2}
    exact = live.kpi("Last 24 hours", now, week, year, Role.ANALYST)
    assert (exact.value, exact.delta) == ("23", "+15 vs a week earlier")
    assert "a year earlier (364 days): 2 (+21)" in exact.help
    shared = live.kpi("Last 7 days", now, week, year, Role.PARTNER)
    assert (shared.value, shared.delta) == ("25", "+15 vs a week earlier")
    assert f"a year earlier (364 days): {FEWER}" in shared.help
    assert "+2" not in shared.help
    assert "+23" not in shared.help


def test_windows_per_role() -> None:
    analyst = {w.slug: w for w in window_figures.windows_for(Role.ANALYST, NOW)}
    end = epoch_hour(NOW) + 1
    assert (analyst["1h"].start, analyst["1h"].end) == (end - 1, end)
    assert analyst["24h"].end - analyst["24h"].start == 24
    shared = {w.slug: w for w in window_figures.windows_for(Role.PARTNER, NOW)}
    assert set(shared) == {"yesterday", "7d", "28d", "365d"}
    midnight = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)  # 00:00 BST on 1 July
    assert shared["yesterday"].end == epoch_hour(midnight)
    assert shared["yesterday"].end - shared["yesterday"].start == 24
    # a refresh later the same day reads the very same windows
    later = {w.slug: w for w in window_figures.windows_for(Role.PARTNER, NOW + timedelta(hours=9))}
    assert later == shared
    spans = live.comparison_spans(shared["7d"])
    assert [s[0] for s in spans] == [
        shared["7d"].start,
        shared["7d"].start - 168,
        shared["7d"].start - 364 * 24,
    ]
