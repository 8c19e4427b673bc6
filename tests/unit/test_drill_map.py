"""The drill-down's map per role and level (``dashboard.drill_map``)."""

from __future__ import annotations

from aggregates.disclosure import FEWER, Role
from dashboard import drill_map
from dashboard.drilldown import Choice
from geography.areas import load_areas

AREAS = load_areas()
BIRK, BEB = "E05000956", "E05000954"
BIRK_LSOAS = sorted(a.code for a in AREAS.lsoas if a.ward_code == BIRK)
WARDS = {(BIRK, "burglary"): 40, (BEB, "drugs"): 3}
LSOAS = {(BIRK_LSOAS[0], "burglary"): 30, (BIRK_LSOAS[1], "burglary"): 10}


def props(drawn: drill_map.DrillMap) -> list[dict[str, object]]:
    return [f["properties"] for f in drawn.geojson["features"]]


def test_the_whole_area_shades_its_wards_and_each_click_names_a_ward() -> None:
    """Every LSOA polygon carries its ward's code, so a click anywhere in a ward drills
    into it; the busiest ward by rate is the darkest band and named first in words."""
    drawn = drill_map.drill_map(AREAS, Role.ANALYST, Choice(None, None, None), WARDS, {}, "rate")
    found = props(drawn)
    assert len(found) == len(AREAS.lsoas)
    assert {p["code"] for p in found} == set(AREAS.ward_names)
    birk = [p for p in found if p["code"] == BIRK]
    assert birk[0]["fill"][:3] == list(drill_map.PALETTE[-1])
    assert birk[0]["tooltip"].startswith("Birkenhead and Tranmere: 40 incidents, ")
    assert drawn.clickable
    assert drawn.text.startswith("Map of wards by rate per 1,000 residents; highest: Birkenhead")


def test_an_analysts_ward_shades_its_lsoas_by_count() -> None:
    drawn = drill_map.drill_map(
        AREAS, Role.ANALYST, Choice(None, BIRK, None), WARDS, LSOAS, "count"
    )
    found = props(drawn)
    assert {p["code"] for p in found} == set(BIRK_LSOAS)
    top = next(p for p in found if p["code"] == BIRK_LSOAS[0])
    assert top["fill"][:3] == list(drill_map.PALETTE[-1])
    assert drawn.legend[-2][1] == "busiest: 30"  # a band with one value names it alone
    chosen = drill_map.drill_map(
        AREAS, Role.ANALYST, Choice(None, BIRK, BIRK_LSOAS[1]), WARDS, LSOAS, "count"
    )
    outlined = [p["code"] for p in props(chosen) if p["width"] == 3]
    assert outlined == [BIRK_LSOAS[1]]


def test_a_partner_stops_at_the_ward_with_disclosed_figures_and_nothing_to_click() -> None:
    """A partner's ward is drawn in one level with its disclosed total (no LSOA figure);
    a ward of 3 shows as hidden, never 3."""
    drawn = drill_map.drill_map(AREAS, Role.PARTNER, Choice(None, BIRK, None), WARDS, LSOAS, "rate")
    found = props(drawn)
    assert {p["code"] for p in found} == {""}
    assert {p["tooltip"] for p in found} == {p["tooltip"] for p in found[:1]}
    assert not drawn.clickable
    whole = drill_map.drill_map(AREAS, Role.PARTNER, Choice(None, None, None), WARDS, {}, "rate")
    beb = next(p for p in props(whole) if p["code"] == BEB)
    assert beb["tooltip"].startswith(f"Bebington: {FEWER} incidents, —")
    assert beb["fill"][:3] == list(drill_map.NONE_COLOUR)


def test_screen_offsets_follow_the_view() -> None:
    """The centre is drawn at the centre; east is right, north is up, and one zoom step
    doubles a distance."""
    view = drill_map.view_of(AREAS, [a.code for a in AREAS.lsoas])
    lat, lon, zoom = view
    assert drill_map.screen_offset(view, lat, lon) == (0.0, 0.0)
    east, north = drill_map.screen_offset(view, lat + 0.01, lon + 0.01)
    assert east > 0 > north
    closer = drill_map.screen_offset((lat, lon, zoom + 1), lat + 0.01, lon + 0.01)
    assert abs(closer[0] - 2 * east) < 1e-6
