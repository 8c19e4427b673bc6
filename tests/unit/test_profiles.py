"""Profile tables per role (``dashboard.profiles``)."""

from __future__ import annotations

from aggregates.disclosure import FEWER, SUM_CAVEAT, Role
from aggregates.periods import Window
from dashboard import profiles
from store.reader import RepeatCounts, WindowRow

ROWS = (
    WindowRow("W1", "asb-nuisance", "youth", 6, 0),
    WindowRow("W2", "asb-nuisance", "youth", 2, 0),
    WindowRow("W1", "asb-nuisance", "adult", 1, 0),
    WindowRow("W1", "primary-fire", "adult", 9, 0),
)


def test_profile_table_per_role() -> None:
    exact = profiles.profile_table(ROWS, ["council"], Role.ANALYST)
    assert exact.to_dict("records") == [
        {"Category": "All categories", "Adult": "1", "Youth": "8"},
        {"Category": "ASB – nuisance", "Adult": "1", "Youth": "8"},
    ]
    shared = profiles.profile_table(ROWS, ["council", "fire"], Role.PARTNER)
    assert shared.to_dict("records")[0] == {
        "Category": "All categories",
        "Adult": "10",  # 9 + 1 -> 9 + 2 = 11 -> 10
        "Youth": "10",  # 6 + 2 -> 6 + 2 = 8 -> 10
    }
    asb = shared[shared["Category"] == "ASB – nuisance"].iloc[0]
    assert asb["Adult"] == FEWER
    bars = profiles.chart_frame(shared)
    assert bars.to_dict("records") == [
        {"Value": "Adult", "Incidents": 10},
        {"Value": "Youth", "Incidents": 10},
    ]
    assert profiles.profile_table(ROWS, ["police"], Role.ANALYST).empty


def test_repeats_table_counts_only() -> None:
    table = profiles.repeats_table(
        {("caller", "W1"): RepeatCounts(3, 1), ("address", "W2"): RepeatCounts(2, 0)},
        {"W1": "North", "W2": "South"},
    )
    assert table.to_dict("records")[0] == {
        "Ward": "North (W1)",
        "Repeat callers (2+)": 3,
        "Repeat callers (3+)": 1,
        "Repeat locations (2+)": 0,
        "Repeat locations (3+)": 0,
    }
    assert len(table) == 2


def test_the_chart_in_words_leaves_suppressed_values_out() -> None:
    """The 'all categories' bars in words; when every figure is suppressed, it says so."""
    exact = profiles.chart_frame(profiles.profile_table(ROWS, ["council"], Role.ANALYST))
    assert profiles.chart_text(exact) == "Adult: 1; Youth: 8"
    assert profiles.chart_caption("Youth or adult", profiles.chart_text(exact)) == (
        "Youth or adult, all categories — Adult: 1; Youth: 8."
    )
    small = profiles.profile_table(ROWS[1:3], ["council"], Role.PUBLIC)  # 2 and 1
    assert profiles.chart_text(profiles.chart_frame(small)) == ""
    assert profiles.chart_caption("Youth or adult", "") == (
        "Youth or adult, all categories — every figure suppressed."
    )


def test_the_caption_names_the_window_and_the_protection() -> None:
    window = Window("7d", "Last 7 days", 493_000, 493_168)
    exact = profiles.caption(window, Role.ANALYST)
    assert exact.startswith("Last 7 days: ")
    assert exact.endswith(". Only what partners record; 'not recorded' values are not shown.")
    assert profiles.caption(window, Role.PARTNER).endswith(SUM_CAVEAT)
