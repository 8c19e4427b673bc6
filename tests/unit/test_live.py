"""The Live page's figures per role (``dashboard.live``), from plain rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregates.buckets import epoch_hour
from aggregates.disclosure import FEWER, Role
from dashboard import live, window_figures
from store.reader import Baseline, Baselines, WindowRow

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


def test_the_window_judged_against_normal_is_the_chosen_one_up_to_28_days() -> None:
    """Above normal is judged for the window the viewer chose (the map's), so its heading
    never names another; a year is too long for week-shifted baselines, so 365 days judges
    the last 28 days."""
    for role, slug in ((Role.ANALYST, "1h"), (Role.ANALYST, "7d"), (Role.PARTNER, "28d")):
        plan = live.live_plan(role, NOW, slug)
        assert plan.selected.slug == plan.baseline_window.slug == slug
        assert plan.spans[-1] == plan.selected.span
    year = live.live_plan(Role.PARTNER, NOW, "365d")
    assert (year.selected.slug, year.baseline_window.slug) == ("365d", "28d")
    assert year.spans[-1] == year.baseline_window.span
    assert len(year.spans) == 3 * 3 + 1  # each KPI with its two comparisons, then the judged


def test_above_normal_is_computed_from_the_judged_window() -> None:
    """The wards above normal come from the judged window's rows (the last span), not from
    a KPI window's."""
    plan = live.live_plan(Role.ANALYST, NOW, "1h")
    quiet: tuple[WindowRow, ...] = ()
    rows = [quiet] * (len(plan.spans) - 1) + [ROWS]
    weeks = 8
    baseline = Baselines(
        {(BIRK, "burglary"): Baseline.of([1] * weeks)},
        {source: (1,) * (weeks + 1) for source in ALL},
    )
    figures = live.live_figures(plan, rows, [], (baseline, weeks), ALL, WARDS, Role.ANALYST, 10)
    assert figures.unusual is not None
    table = figures.unusual.table
    assert table["Ward"].tolist()[0] == "Birkenhead and Tranmere (E05000956)"
    assert table["This window"].tolist()[0] == "21"


def test_kpi_changes_only_between_shown_figures() -> None:
    now, week, year = {(BEB, "drugs"): 23}, {(BEB, "drugs"): 8}, {(BEB, "drugs"): 2}
    exact = live.kpi("Last 24 hours", now, week, year, Role.ANALYST)
    assert (exact.value, exact.delta) == ("23", "+15")
    assert "a year earlier (364 days): 2 (+21)" in exact.help
    shared = live.kpi("Last 7 days", now, week, year, Role.PARTNER)
    assert (shared.value, shared.delta) == ("25", "+15")
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
