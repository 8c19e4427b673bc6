"""WGS84 <-> British National Grid conversion and 250 m grid cells (geography.bng)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geography import bng
from geography.areas import load_areas

# Ordnance Survey's OSTN15 test points (OSTN15_TestInput / TestOutput): ETRS89 lat/lon in
# degrees and the OSTN15 OSGB36 easting/northing. ETRS89 is WGS84 to well under a metre
# here. Our 7-parameter Helmert is expected to agree to a few metres (OS: ~5 m worst).
OSTN15_POINTS = {
    "BLAC": (53.77911025694444, -3.040454906944444, 331534.552, 431920.792),
    "BRIS": (51.42754743361111, -2.544076186111111, 362269.979, 169978.688),
    "BUT1": (58.51560361805556, -6.260914556388889, 151968.641, 966483.777),
    "CARL": (54.89542340527777, -2.938277414722223, 339921.133, 556034.759),
    "CARM": (51.8589089675, -4.308524766111111, 241124.573, 220332.638),
    "COLC": (51.89436637527778, 0.897243275, 599445.578, 225722.824),
    "DARE": (53.34480280666667, -2.640493207222222, 357455.831, 383290.434),
    "DROI": (52.25529381638889, -2.154586149444444, 389544.178, 261912.151),
    "EDIN": (55.9247826525, -3.294792187777777, 319188.423, 670947.532),
    "FLA1": (54.11685144333333, -0.07773132666666667, 525745.658, 470703.211),
    "GIR1": (57.13902519305555, -2.048560316111111, 397160.479, 805349.734),
    "GLAS": (55.85399952972222, -4.296490155555555, 256340.914, 664697.266),
    "INVE": (57.48625000333333, -4.219263989444444, 267056.756, 846176.969),
    "IOMN": (54.32919541055556, -4.388491180000001, 244780.625, 495254.884),
    "KING": (52.75136687444444, 0.4015354769444445, 562180.535, 319784.993),
    "LEED": (53.80021519916667, -1.663791675833333, 422242.174, 433818.699),
    "LIZ1": (49.96006138305556, -5.203046100277778, 170370.706, 11572.404),
    "LOND": (51.48936564611111, -0.1199255641666667, 530624.963, 178388.461),
    "LYN1": (53.41628515777778, -4.289180693055555, 247958.959, 393492.906),
    "MALA": (57.00606696527777, -5.828366926388889, 167634.190, 797067.142),
    "NAS1": (51.40078220388889, -3.551283487222222, 292184.858, 168003.462),
    "NEWC": (54.97912274, -1.616576845555556, 424639.343, 565012.700),
    "NFO1": (51.37447025916666, 1.444547306944445, 639821.823, 169565.856),
    "NORT": (52.25160950916667, -0.91248957, 474335.957, 262047.752),
    "NOTT": (52.962191095, -1.197476561666667, 454002.822, 340834.941),
    "OSHQ": (50.9312793775, -1.450514340555556, 438710.908, 114792.248),
    "PLYM": (50.43885825472222, -4.108645639722222, 250359.798, 62016.567),
    "SCP1": (50.57563665166667, -1.297822771388889, 449816.359, 75335.859),
    "SUM1": (59.8540991425, -1.274869112222222, 440725.061, 1107878.445),
    "THUR": (58.58120461444445, -3.726310213055556, 299721.879, 967202.990),
    "SCILLY": (49.92226394333333, -6.299777527222222, 91492.135, 11318.801),
    "STKILDA": (57.81351842166666, -8.578544610277778, 9587.897, 899448.993),
    "FOULA": (60.13308092083334, -2.073828223611111, 395999.656, 1138728.948),
}
HELMERT_TOLERANCE_M = 5.5
# Wirral's BNG extent (min E, min N, max E, max N): Hilbre Island SJ 18 88 to Eastham
# SJ 37 80 and New Brighton SJ 31 94. LSOA interior points reach E 320.8-337.3 km.
WIRRAL_BOX = (318000.0, 377000.0, 339000.0, 396000.0)


def _dms(degrees: int, minutes: int, seconds: float) -> float:
    return math.radians(degrees + minutes / 60 + seconds / 3600)


def _metres_apart(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    north = (lat1 - lat2) * 111_200
    east = (lon1 - lon2) * 111_200 * math.cos(math.radians(lat1))
    return math.hypot(north, east)


def test_projection_matches_os_worked_example() -> None:
    """OS guide's worked example: OSGB36 52°39'27.2531"N 1°43'4.5177"E is E 651409.903."""
    easting, northing = bng.project(_dms(52, 39, 27.2531), _dms(1, 43, 4.5177))
    assert easting == pytest.approx(651409.903, abs=0.001)
    assert northing == pytest.approx(313177.270, abs=0.001)


def test_unprojection_matches_os_worked_example() -> None:
    """OS guide's inverse worked example returns 52°39'27.2531"N 1°43'4.5177"E."""
    phi, lam = bng.unproject(651409.903, 313177.270)
    assert abs(phi - _dms(52, 39, 27.2531)) < 1e-9  # ~6 mm on the ground
    assert abs(lam - _dms(1, 43, 4.5177)) < 1e-9


@pytest.mark.parametrize("name", sorted(OSTN15_POINTS))
def test_to_bng_agrees_with_ostn15_points(name: str) -> None:
    """WGS84 -> BNG lands within a few metres of OS's OSTN15 answer."""
    lat, lon, want_e, want_n = OSTN15_POINTS[name]
    easting, northing = bng.to_bng(lat, lon)
    assert math.hypot(easting - want_e, northing - want_n) < HELMERT_TOLERANCE_M


@pytest.mark.parametrize("name", sorted(OSTN15_POINTS))
def test_to_wgs84_agrees_with_ostn15_points(name: str) -> None:
    """BNG -> WGS84 lands within a few metres of OS's ETRS89 position."""
    want_lat, want_lon, easting, northing = OSTN15_POINTS[name]
    lat, lon = bng.to_wgs84(easting, northing)
    assert _metres_apart(lat, lon, want_lat, want_lon) < HELMERT_TOLERANCE_M


def test_grid_cell_names_the_south_west_corner() -> None:
    """Daresbury (OS point DARE, E 357455.8 N 383290.4) is in cell E357250N383250."""
    lat, lon, _, _ = OSTN15_POINTS["DARE"]
    assert bng.grid_cell(lat, lon) == "E357250N383250"


def test_grid_cell_honours_size() -> None:
    """A 1 km cell is named by the kilometre corner below the point."""
    lat, lon, _, _ = OSTN15_POINTS["DARE"]
    assert bng.grid_cell(lat, lon, size_m=1000) == "E357000N383000"


def test_grid_cell_is_half_open() -> None:
    """A point just inside a cell's south-west corner is in it; just outside is not."""
    inside = bng.to_wgs84(332750.01, 388500.01)
    outside = bng.to_wgs84(332749.99, 388499.99)
    assert bng.grid_cell(*inside) == "E332750N388500"
    assert bng.grid_cell(*outside) == "E332500N388250"


def test_grid_cell_contains_its_point() -> None:
    """Every Wirral LSOA's BNG position lies inside the bounds of its own cell."""
    for lsoa in load_areas().lsoas:
        easting, northing = bng.to_bng(lsoa.lat, lsoa.lon)
        min_e, min_n, max_e, max_n = bng.cell_bounds(bng.grid_cell(lsoa.lat, lsoa.lon))
        assert min_e <= easting < max_e
        assert min_n <= northing < max_n


def test_cell_bounds() -> None:
    """Bounds span size_m from the named corner."""
    assert bng.cell_bounds("E332750N388500") == (332750.0, 388500.0, 333000.0, 388750.0)
    kilometre = (357000.0, 383000.0, 358000.0, 384000.0)
    assert bng.cell_bounds("E357000N383000", size_m=1000) == kilometre


@pytest.mark.parametrize("cell", ["", "E1N", "N388500E332750", "E-250N0", "e332750n388500"])
def test_cell_bounds_rejects_bad_names(cell: str) -> None:
    """Malformed cell names raise ValueError."""
    with pytest.raises(ValueError, match="not a grid cell"):
        bng.cell_bounds(cell)


def test_cell_bounds_rejects_off_grid_corner() -> None:
    """A corner that is not a multiple of the cell size raises ValueError."""
    with pytest.raises(ValueError, match="not a corner"):
        bng.cell_bounds("E332700N388500")


def test_cell_bounds_rejects_cell_outside_grid() -> None:
    """A well-formed name beyond the national grid raises ValueError."""
    with pytest.raises(ValueError, match="outside"):
        bng.cell_bounds("E900000N388500")


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(0.0, 0.0), (40.71, -74.0), (48.0, -5.0), (53.4, 5.0), (90.0, 0.0), (math.nan, -3.0)],
)
def test_to_bng_rejects_points_outside_great_britain(lat: float, lon: float) -> None:
    """Lat/lon far from Great Britain, or off the grid, raise ValueError."""
    with pytest.raises(ValueError, match="outside the British National Grid"):
        bng.to_bng(lat, lon)


@pytest.mark.parametrize(
    ("easting", "northing"),
    [(-1.0, 100000.0), (700001.0, 100000.0), (300000.0, -1.0), (300000.0, 1300001.0)],
)
def test_to_wgs84_rejects_off_grid_coordinates(easting: float, northing: float) -> None:
    """Easting/northing outside 0-700000 / 0-1300000 raise ValueError."""
    with pytest.raises(ValueError, match="outside the British National Grid"):
        bng.to_wgs84(easting, northing)


def test_grid_cell_rejects_points_outside_great_britain() -> None:
    """grid_cell refuses a point in Paris."""
    with pytest.raises(ValueError, match="outside"):
        bng.grid_cell(48.8566, 2.3522)


def test_easting_and_northing_are_monotonic() -> None:
    """Around Wirral, easting grows with longitude and northing with latitude."""
    lats = [53.30 + i * 0.01 for i in range(15)]
    lons = [-3.25 + i * 0.02 for i in range(15)]
    eastings = [bng.to_bng(53.38, lon)[0] for lon in lons]
    northings = [bng.to_bng(lat, -3.05)[1] for lat in lats]
    assert eastings == sorted(eastings)
    assert len(set(eastings)) == len(eastings)
    assert northings == sorted(northings)
    assert len(set(northings)) == len(northings)


def test_wirral_lsoas_fall_in_wirral_box() -> None:
    """Every Wirral LSOA interior point projects inside Wirral's BNG bounding box."""
    min_e, min_n, max_e, max_n = WIRRAL_BOX
    lsoas = load_areas().lsoas
    assert len(lsoas) > 200
    for lsoa in lsoas:
        easting, northing = bng.to_bng(lsoa.lat, lsoa.lon)
        assert min_e <= easting <= max_e, lsoa.code
        assert min_n <= northing <= max_n, lsoa.code


@settings(max_examples=300, deadline=None)
@given(
    easting=st.floats(min_value=1000.0, max_value=699000.0),
    northing=st.floats(min_value=1000.0, max_value=1299000.0),
)
def test_round_trip_from_grid(easting: float, northing: float) -> None:
    """to_bng(to_wgs84(E, N)) returns (E, N) within 0.5 m anywhere on the grid."""
    back_e, back_n = bng.to_bng(*bng.to_wgs84(easting, northing))
    assert math.hypot(back_e - easting, back_n - northing) < 0.5


@settings(max_examples=300, deadline=None)
@given(lat=st.floats(min_value=50.0, max_value=58.5), lon=st.floats(min_value=-5.5, max_value=1.7))
def test_round_trip_from_wgs84(lat: float, lon: float) -> None:
    """to_wgs84(to_bng(lat, lon)) returns the point within 0.5 m over Great Britain."""
    back_lat, back_lon = bng.to_wgs84(*bng.to_bng(lat, lon))
    assert _metres_apart(lat, lon, back_lat, back_lon) < 0.5
