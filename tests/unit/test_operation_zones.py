"""Which zone of an operation a record falls in: codes as ``safer query`` counts wards,
points for polygons and rings, exclusive zones, the operation's filters."""

from __future__ import annotations

import json

import pytest
import shapely

from aggregates.buckets import Span
from aggregates.inputs import AggInput
from geography.areas import load_areas
from geography.bng import to_wgs84
from operations.spec import OperationError, parse_operation
from operations.zones import Operations, hours_of, resolve

AREAS = load_areas()
TARGET = "E05000956"  # Birkenhead and Tranmere
TOML = f"""
name = "Operation Open Space 2018"
categories = ["anti-social-behaviour", "asb-nuisance"]
start = "2018-07-01"
end = "2018-08-01"
[target]
wards = ["{TARGET}"]
[buffer]
metres = 400
"""


def _record(
    lsoa: str,
    category: str = "anti-social-behaviour",
    hour: int | None = None,
    youth: str | None = None,
) -> AggInput:
    ward = AREAS.lsoa_ward[lsoa]
    start = hours_of(parse_operation(TOML).period)[0] + 5 if hour is None else hour
    dims = (("youth", (youth,)),) if youth else ()
    return AggInput(
        source="police",
        category=category,
        span=Span(start, start + 1),
        areas=(("borough", AREAS.ward_authority[ward]), ("ward", ward), ("lsoa", lsoa)),
        dims=dims,
    )


def _point_in(shape: shapely.Geometry) -> tuple[float, float]:
    x, y = shape.representative_point().coords[0]
    return to_wgs84(x, y)


@pytest.fixture(scope="module")
def operations() -> Operations:
    return Operations((resolve(parse_operation(TOML), AREAS, {}, version=1),))


def test_target_by_code_buffer_by_point_control_the_rest(operations: Operations) -> None:
    op = operations.operations[0]
    in_target = next(code for code, ward in AREAS.lsoa_ward.items() if ward == TARGET)
    placed = operations.place(_record(in_target), None, None)
    assert placed.areas[-1] == ("zone", "open-space-2018.target")
    # a point in the 400 m ring, in a neighbouring ward's LSOA
    buffer = op.zone("buffer")
    assert buffer is not None
    assert buffer.points is not None
    lat, lon = _point_in(buffer.points)
    lsoa = AREAS.locate(lat, lon)
    assert lsoa is not None
    assert AREAS.lsoa_ward[lsoa] != TARGET
    assert operations.place(_record(lsoa), lat, lon).areas[-1] == ("zone", "open-space-2018.buffer")
    # the same LSOA without the point: not in the ring, so in the default control
    assert operations.place(_record(lsoa), None, None).areas[-1] == (
        "zone",
        "open-space-2018.control",
    )
    # exactly one zone each
    zones = [a for a in operations.place(_record(in_target), lat, lon).areas if a[0] == "zone"]
    assert len(zones) == 1


def test_filters_category_period_youth(operations: Operations) -> None:
    in_target = next(code for code, ward in AREAS.lsoa_ward.items() if ward == TARGET)
    assert (
        operations.place(_record(in_target, category="burglary"), None, None).areas[-1][0] == "lsoa"
    )
    op = operations.operations[0]
    before = op.first_hour - 1  # before the baseline
    assert operations.place(_record(in_target, hour=before), None, None).areas[-1][0] == "lsoa"
    baseline = hours_of(op.spec.baseline_period)[0]
    assert operations.place(_record(in_target, hour=baseline), None, None).areas[-1][0] == "zone"
    text = TOML.replace('end = "2018-08-01"', 'end = "2018-08-01"\nyouth = "youth"')
    only_youth = Operations((resolve(parse_operation(text), AREAS, {}),))
    assert only_youth.place(_record(in_target), None, None).areas[-1][0] == "lsoa"  # no flag
    assert only_youth.place(_record(in_target, youth="adult"), None, None).areas[-1][0] == "lsoa"
    assert only_youth.place(_record(in_target, youth="youth"), None, None).areas[-1][0] == "zone"


def _square(lat: float, lon: float, d: float = 0.002) -> str:
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "park"},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        }
    )


def test_polygon_target_places_by_point() -> None:
    lsoa = AREAS.lsoas[10]
    text = TOML.replace(f'wards = ["{TARGET}"]', 'geojson = "park.geojson"')
    op = resolve(parse_operation(text), AREAS, {"park.geojson": _square(lsoa.lat, lsoa.lon)})
    ops = Operations((op,))
    inside = ops.place(_record(lsoa.code), lsoa.lat, lsoa.lon)
    assert inside.areas[-1] == ("zone", "open-space-2018.target")
    # 0.003 degrees of latitude (~330 m) north: outside the square, inside the 400 m ring
    near = ops.place(_record(lsoa.code), lsoa.lat + 0.003, lsoa.lon)
    assert near.areas[-1] == ("zone", "open-space-2018.buffer")
    # the LSOA alone does not place a record in a polygon
    assert ops.place(_record(lsoa.code), None, None).areas[-1] == (
        "zone",
        "open-space-2018.control",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (f'wards = ["{TARGET}"]', 'wards = ["E05999999"]'),
            "target.wards: unknown ward code 'E05999999'",
        ),
        (
            ("[buffer]\nmetres = 400", f'[control]\nwards = ["{TARGET}"]'),
            f"control: overlaps the target ({TARGET})",
        ),
        (
            (f'wards = ["{TARGET}"]', 'geojson = "missing.geojson"'),
            "target.geojson: missing.geojson was not found",
        ),
    ],
)
def test_geography_errors(change: tuple[str, str], message: str) -> None:
    text = TOML.replace(*change)
    assert text != TOML
    with pytest.raises(OperationError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        resolve(parse_operation(text), AREAS, {})


def test_overlapping_shapes_are_refused() -> None:
    lsoa = next(code for code, ward in AREAS.lsoa_ward.items() if ward == TARGET)
    row = next(x for x in AREAS.lsoas if x.code == lsoa)
    text = TOML.replace("[buffer]\nmetres = 400", '[control]\ngeojson = "park.geojson"')
    with pytest.raises(OperationError, match=r"^control: overlaps the target by"):
        resolve(parse_operation(text), AREAS, {"park.geojson": _square(row.lat, row.lon, 0.0005)})
