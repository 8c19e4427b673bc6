"""Hot-spot times per role (``dashboard.hotspots``)."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregates.buckets import epoch_hour
from aggregates.disclosure import Role
from dashboard import hotspots

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def weights_at(hour_of_week: int, n: float) -> tuple[float, ...]:
    return tuple(n if i == hour_of_week else 0.0 for i in range(168))


PROFILES = {
    ("E05000956", "burglary"): weights_at(4 * 24 + 22, 30.0),  # Friday 22:00
    ("E05000954", "drugs"): weights_at(5 * 24 + 23, 3.0),  # Saturday 23:00
    ("E05000954", "secondary-fire"): weights_at(0, 2.0),
}


def test_selection_by_area_and_source() -> None:
    weights, counts = hotspots.selected_weights(PROFILES, ["E05000954"], ["police"])
    assert sum(weights) == 3.0
    assert counts == {("E05000954", "drugs"): 3}
    everything, counts = hotspots.selected_weights(PROFILES, None, ["police", "fire"])
    assert sum(everything) == 35.0
    assert len(counts) == 3


def test_analyst_sees_numbers_others_see_bands() -> None:
    weights, counts = hotspots.selected_weights(PROFILES, None, ["police"])
    assert hotspots.enough(counts, Role.ANALYST)
    assert hotspots.enough(counts, Role.PARTNER)  # 30 + 3 -> 30 + 2 = 32 -> 30
    grid = hotspots.grid(weights)
    friday = grid[(grid["Day"] == "Friday") & (grid["Hour"] == "22")]
    assert friday["Incidents"].iloc[0] == 30.0
    bands = hotspots.banded(weights)
    assert set(bands.columns) == {"Day", "Hour", "Level"}
    top = bands[(bands["Day"] == "Friday") & (bands["Hour"] == "22")]["Level"].iloc[0]
    assert top == "busiest"
    sizes = bands["Level"].value_counts()
    assert set(sizes.index) == set(hotspots.BANDS)
    assert sizes.min() >= 33  # five bands of about a fifth of the week each
    assert hotspots.busiest_text(weights, Role.ANALYST).startswith(
        "Busiest hours of the week, busiest first — Friday 22:00 (30.0); Saturday 23:00 (3.0)"
    )
    assert "(30.0)" not in hotspots.busiest_text(weights, Role.PUBLIC)


def test_few_incidents_are_withheld_outside_the_analyst_role() -> None:
    _, counts = hotspots.selected_weights(PROFILES, ["E05000954"], ["police", "fire"])
    assert hotspots.enough(counts, Role.ANALYST)
    assert not hotspots.enough(counts, Role.PARTNER)
    assert not hotspots.enough({}, Role.ANALYST)


def test_spans_are_whole_months_outside_the_analyst_role() -> None:
    shared = hotspots.span_for("3m", NOW, Role.PARTNER)
    assert shared.start == epoch_hour(datetime(2025, 12, 1, tzinfo=UTC))  # GMT: UTC = local
    assert shared.end == epoch_hour(datetime(2026, 3, 1, tzinfo=UTC))
    analyst = hotspots.span_for("3m", NOW, Role.ANALYST)
    assert (analyst.start, analyst.end) == (shared.start, epoch_hour(NOW) + 1)


def test_what_the_page_shows_per_role() -> None:
    """The whole area reads the borough profile, a ward its own; the analyst's heatmap is
    in incidents, the others' in bands, and a withheld pattern says why."""
    assert (hotspots.level_of(None), hotspots.level_of("E05000954")) == ("borough", "ward")
    wards = {"E05000954": "Bebington"}
    assert hotspots.place_name(None, wards, "borough") == "the whole borough"
    assert hotspots.place_name("E05000954", wards, "borough") == "Bebington (E05000954)"
    assert hotspots.too_few_text(Role.ANALYST) == "Too few incidents here for a pattern."
    assert hotspots.too_few_text(Role.PUBLIC).endswith(
        "that can be shown outside the analyst role (fewer than 20)."
    )
    weights, _ = hotspots.selected_weights(PROFILES, None, ["police"])
    exact = hotspots.wide(hotspots.week_table(weights, Role.ANALYST))
    assert list(exact.index) == list(hotspots.DAYS)
    assert exact.shape == (7, 24)
    assert exact.loc["Friday", "22"] == 30.0
    shared = hotspots.wide(hotspots.week_table(weights, Role.PARTNER))
    assert shared.loc["Friday", "22"] == "busiest"
    assert hotspots.export_caveats("text", Role.ANALYST) == ["text"]
    assert hotspots.export_caveats("text", Role.PARTNER) == ["text", hotspots.SHARED_CAVEAT]
