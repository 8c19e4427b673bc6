"""Point-in-polygon placement of points in the partnership's LSOAs."""

from __future__ import annotations

from aggregates.inputs import from_canonical
from geography.areas import load_areas


def test_every_lsoa_interior_point_lies_in_its_own_lsoa() -> None:
    areas = load_areas()
    placed = {lsoa.code: areas.locate(lsoa.lat, lsoa.lon) for lsoa in areas.lsoas}
    assert len(placed) == 206
    assert placed == {code: code for code in placed}


def test_points_outside_the_partnership_are_nowhere() -> None:
    areas = load_areas()
    assert areas.locate(53.4084, -2.9916) is None  # Liverpool city centre, across the Mersey
    assert areas.locate(51.5074, -0.1278) is None  # London


def test_a_record_without_lsoa_is_placed_by_its_point() -> None:
    """No LSOA code: the point decides the LSOA and its best-fit ward; with one, the code
    is authoritative even where the point says otherwise."""
    areas = load_areas()
    target = areas.lsoas[10]
    doc = {
        "source": "fire",
        "data": {
            "category": "secondary-fire",
            "occurred": {"start": "2026-06-01T10:00:00Z"},
            "location": {"lat": target.lat, "lon": target.lon},
        },
    }
    placed = dict(from_canonical(doc, areas).areas)
    assert placed["lsoa"] == target.code
    assert placed["ward"] == target.ward_code
    other = areas.lsoas[100].code
    doc["data"]["location"]["lsoa_code"] = other  # type: ignore[index]
    coded = dict(from_canonical(doc, areas).areas)
    assert coded["lsoa"] == other
