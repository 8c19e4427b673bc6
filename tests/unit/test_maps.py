"""The ward map's levels and features per role (``dashboard.maps``)."""

from __future__ import annotations

from aggregates.disclosure import FEWER, Role
from dashboard import maps
from geography.areas import load_areas
from geography.bng import grid_cell

AREAS = load_areas()  # Wirral, from the project's own boundary file
WARDS = sorted(AREAS.ward_names)
BIRK, BEB, BROM = "E05000956", "E05000954", "E05000957"
CELLS = {(BIRK, "burglary"): 7, (BEB, "drugs"): 2, (BEB, "asb-nuisance"): 3, (BROM, "drugs"): 1}


def test_levels_per_role() -> None:
    exact = maps.ward_levels(CELLS, WARDS, Role.ANALYST)
    assert exact[BIRK] == (4, "busiest", "7")
    assert exact[BEB] == (2, "middle", "5")
    assert exact[BROM] == (0, "quietest", "1")
    assert exact["E05000955"] == (None, "none", "0")
    partner = maps.ward_levels(CELLS, WARDS, Role.PARTNER)
    # Birkenhead 7 -> 5; Bebington 2 + 2 (imputed) -> small numbers; Bromborough 1 -> fewer
    assert partner[BIRK] == (4, "busiest", "5")
    assert partner[BROM] == (0, "quietest", FEWER)
    public = maps.ward_levels(CELLS, WARDS, Role.PUBLIC)
    assert all(figure == "" for _, _, figure in public.values())  # no numbers at all


def test_features_cover_the_partnership_and_carry_no_numbers_for_the_public() -> None:
    levels = maps.ward_levels(CELLS, WARDS, Role.PUBLIC)
    collection = maps.geojson(AREAS, levels, AREAS.ward_names)
    features = collection["features"]
    assert len(features) == len(AREAS.lsoas)
    birk = [f for f in features if f["properties"]["ward"] == BIRK]
    assert birk
    assert {f["properties"]["tooltip"] for f in birk} == {"Birkenhead and Tranmere: busiest"}
    assert birk[0]["properties"]["fill"][:3] == list(maps.PALETTE[4])
    assert not any(ch.isdigit() for f in features for ch in f["properties"]["tooltip"])
    text = maps.text_alternative(levels, AREAS.ward_names)
    assert text == "Map of wards by level; busiest: Birkenhead and Tranmere."


def test_the_busiest_wards_are_listed_busiest_first() -> None:
    """In words, the busiest band's wards come by their figure, largest first (not by name);
    without figures (public), by name."""
    cells = {(BIRK, "burglary"): 41, (BEB, "drugs"): 30, (BROM, "drugs"): 1}
    levels = maps.ward_levels(cells, WARDS, Role.ANALYST)
    levels[BEB] = (4, "busiest", "30")  # two wards in the top band
    text = maps.text_alternative(levels, AREAS.ward_names)
    assert text == "Map of wards by level; busiest: Birkenhead and Tranmere (41), Bebington (30)."
    public = {w: (band, label, "") for w, (band, label, _) in levels.items()}
    assert maps.text_alternative(public, AREAS.ward_names).endswith(
        "busiest: Bebington, Birkenhead and Tranmere."
    )


def test_grid_squares_are_the_cells_own_250_m_squares_with_exact_counts() -> None:
    """Each square is its cell's corners on the British National Grid (its centre is back in
    the same cell), banded like the wards, with the summed count in the tooltip."""
    here = grid_cell(53.3900, -3.0200)  # Birkenhead
    there = grid_cell(53.3500, -3.1000)
    squares = maps.grid_squares({(here, "burglary"): 4, (here, "drugs"): 1, (there, "arson"): 2})
    by_tip = {s["tooltip"]: s for s in squares}
    assert set(by_tip) == {"250 m square: busiest (5)", "250 m square: quietest (2)"}
    polygon = by_tip["250 m square: busiest (5)"]["polygon"]
    assert len(polygon) == 4
    lon = sum(p[0] for p in polygon) / 4
    lat = sum(p[1] for p in polygon) / 4
    assert grid_cell(lat, lon) == here
    assert max(p[1] for p in polygon) - min(p[1] for p in polygon) < 0.003  # ~250 m of latitude
    assert by_tip["250 m square: busiest (5)"]["fill"][:3] == list(maps.PALETTE[-1])
    assert maps.grid_squares({}) == []


def test_place_points_are_each_point_sized_in_metres_by_its_count() -> None:
    """One dot per point (two points of one street stay two dots), at the point's own
    coordinates, area growing with the count; places without a point are not drawn."""
    park = "L1/53.39315,-3.01701/On or near Park Road"
    park_too = "L1/53.39400,-3.01800/On or near Park Road"
    unplaced = "L1/-/On or near Nowhere"
    points = maps.place_points(
        {(park, "drugs"): 3, (park, "burglary"): 1, (park_too, "drugs"): 1, (unplaced, "drugs"): 7}
    )
    assert [(p["position"], p["tooltip"]) for p in points] == [
        ([-3.01701, 53.39315], "On or near Park Road: busiest (4)"),
        ([-3.018, 53.394], "On or near Park Road: quietest (1)"),
    ]
    assert points[0]["radius"] == 2 * points[1]["radius"] == 2 * maps.POINT_M
    assert points[0]["fill"][:3] == list(maps.PALETTE[-1])
    assert maps.place_points({}) == []
    crowded = {
        (f"L1/53.39315,-3.01701/On or near {n}", "drugs"): i + 1 for i, n in enumerate("ABCD")
    }
    (only,) = maps.place_points(crowded)  # several names at one point: one dot, every count
    assert only["tooltip"] == "On or near D; On or near C and 2 more: busiest (10)"


def test_the_map_per_role_and_its_caption() -> None:
    """Only the analyst's map reads and draws grid squares and place dots; the caption
    names what is drawn, and the public's says there are no numbers."""
    assert maps.levels_to_read(Role.ANALYST) == ("ward", "cell", "place")
    assert maps.levels_to_read(Role.PUBLIC) == ("ward",)
    here = grid_cell(53.3900, -3.0200)
    analyst = maps.map_view([CELLS, {(here, "burglary"): 4}, {}], WARDS, Role.ANALYST)
    assert len(analyst.squares) == 1
    assert analyst.points == []
    text = maps.caption(analyst, AREAS.ward_names, Role.ANALYST, 30.0)
    assert text.startswith(
        "Wards light to dark: quietest → quieter → middle → busier → busiest (grey: none); "
        "squares: the 250 m grid, same levels. Refreshes every 30 s. Map of wards by level; "
        "busiest: Birkenhead and Tranmere (7)."
    )
    public = maps.map_view([CELLS], WARDS, Role.PUBLIC)
    assert (public.squares, public.points) == ([], [])
    shown = maps.caption(public, AREAS.ward_names, Role.PUBLIC, 30.0)
    assert "squares" not in shown
    assert "Refreshes every 30 s. Concentrations only, no numbers. Map of wards" in shown
