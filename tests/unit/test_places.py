"""The place level: a record's controlled street or place, named by LSOA, point and name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregates.buckets import ALL, DAY, HOUR, MONTH, Bucket
from aggregates.config import AggregationConfig
from aggregates.contributions import contribution
from aggregates.hashes import totals
from aggregates.inputs import from_canonical
from aggregates.places import PLACE_LEVEL, Place, place_code
from geography.areas import load_areas
from store.keys import split_field

names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=2, max_size=60
).filter(lambda s: s.strip() != "")


@given(
    name=names,
    lat=st.none() | st.floats(49.0, 61.5),
    lon=st.floats(-8.7, 2.1),
)
def test_a_place_code_names_its_lsoa_point_and_name(
    name: str, lat: float | None, lon: float
) -> None:
    code = place_code("E01007125", lat, None if lat is None else lon, name)
    place = Place.parse(code)
    assert place.lsoa == "E01007125"
    assert place.name == name.replace("|", "/")
    if lat is None:
        assert place.point is None
    else:
        assert place.point is not None
        assert abs(place.point[0] - lat) <= 5e-6
        assert abs(place.point[1] - lon) <= 5e-6
    # the code is one part of a hash field: it never holds the field separator
    field = f"{code}|drugs"
    assert split_field(field) == [code, "drugs"]


@pytest.mark.parametrize(
    "code", ["E01007125", "E01007125/-", "/-/On or near X", "E0/-/", "E0/53.1/On or near X"]
)
def test_what_is_not_a_place_code_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="not a place code"):
        Place.parse(code)


def _doc(location: dict[str, object]) -> dict[str, object]:
    return {
        "source": "police",
        "data": {
            "category": "drugs",
            "occurred": {"start": "2026-11-20T21:00:00+00:00"},
            "location": location,
        },
    }


def test_a_record_with_a_controlled_place_counts_at_the_place_level() -> None:
    areas = load_areas()
    lsoa = areas.lsoas[10]
    doc = _doc(
        {
            "lat": 53.393151,
            "lon": -3.017011,
            "place": "On or near Park Road",
            "lsoa_code": lsoa.code,
        }
    )
    inp = from_canonical(doc, areas)
    placed = dict(inp.areas)
    assert placed[PLACE_LEVEL] == f"{lsoa.code}/53.39315,-3.01701/On or near Park Road"
    counted = contribution(inp, AggregationConfig())
    place_keys = {key for key, field in counted if field.startswith(placed[PLACE_LEVEL])}
    # hour (2026-11-20 21:00 UTC is epoch hour 498669), day, month and all-time totals of
    # the place level, in the authority's shard
    assert place_keys == {
        totals(Bucket(grain, bucket), "place", "cat", placed["borough"])
        for grain, bucket in ((HOUR, "498669"), (DAY, "20261120"), (MONTH, "202611"), (ALL, "-"))
    }


def test_no_place_without_a_name_or_an_lsoa() -> None:
    areas = load_areas()
    lsoa = areas.lsoas[10]
    unnamed = from_canonical(_doc({"lat": lsoa.lat, "lon": lsoa.lon}), areas)
    assert PLACE_LEVEL not in dict(unnamed.areas)
    outside = from_canonical(
        _doc({"lat": 51.5074, "lon": -0.1278, "place": "On or near Strand"}), areas
    )
    assert outside.areas == ()
