"""Which levels a record counts in once the partnership has a comparison area
(``aggregates.inputs.record_areas``, ``WIDER_LEVEL``): another Merseyside borough's record
at the wider level only, the partnership's own at its usual levels and at the wider level
under its authority, anything else out of area; and what that does to a batch's plan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aggregates.config import WIDER_LEVEL, AggregationConfig
from aggregates.contributions import contribution
from aggregates.inputs import canonical_doc, from_canonical, record_areas
from geography.areas import DEFAULT_PARTNERSHIP, load_areas
from schemas.codec import decode_incident
from schemas.outcomes import Outcome
from store.plan import Planner
from tests.builders import encode, make_council_asb, make_police_incident, make_police_uk_crime

AREAS = load_areas()
CONFIG = AggregationConfig()
LIVERPOOL_LSOA, LIVERPOOL = "E01006512", "E08000012"  # Census name "Liverpool 031A"
WIRRAL_LSOA, WIRRAL = "E01007126", "E08000015"
MANCHESTER_LSOA = "E01005098"  # "Manchester 001A": outside Merseyside
LIVERPOOL_POINT = {"lat": 53.4025, "lon": -2.9835}  # Bold Street, Liverpool


def _without_comparison(tmp_path: Path) -> Path:
    packaged = DEFAULT_PARTNERSHIP.parent
    path = tmp_path / "wirral.toml"
    path.write_text(
        'name = "Wirral"\n'
        f'lsoa_boundaries = "{packaged / "wirral_lsoa_2011.geojson"}"\n'
        f'areas = "{packaged / "wirral_lsoa11_areas.csv"}"\n'
        f'lsoa_2021_lookup = "{packaged / "wirral_lsoa21_to_lsoa11.csv"}"\n'
    )
    return path


def _doc(event: dict[str, object]) -> dict[str, object]:
    return canonical_doc(decode_incident(encode(event)))


def test_a_liverpool_lsoa_counts_at_the_wider_level_only() -> None:
    """Another borough of the force area: the wider level under its authority, and no
    partnership level — not even a grid cell for its point or a place for its street."""
    assert record_areas({"lsoa_code": LIVERPOOL_LSOA}, AREAS) == ((WIDER_LEVEL, LIVERPOOL),)
    located = {"lsoa_code": LIVERPOOL_LSOA, "place": "On or near Bold Street", **LIVERPOOL_POINT}
    assert record_areas(located, AREAS) == ((WIDER_LEVEL, LIVERPOOL),)


def test_a_wirral_lsoa_counts_as_before_and_at_the_wider_level(tmp_path: Path) -> None:
    """The partnership's own record: exactly its levels without a comparison area, then the
    wider level under its own authority."""
    before = load_areas(_without_comparison(tmp_path))
    for location in (
        {"lsoa_code": WIRRAL_LSOA},
        {"lsoa_code": WIRRAL_LSOA, "lat": 53.39, "lon": -3.02, "place": "On or near Grange Road"},
        {"ward_code": "E05000954"},  # a ward code alone (council)
        {"lat": 53.39, "lon": -3.02},  # a point alone: point-in-polygon
    ):
        usual = record_areas(location, before)
        assert usual[0] == ("borough", WIRRAL), location
        assert record_areas(location, AREAS) == (*usual, (WIDER_LEVEL, WIRRAL)), location


def test_outside_merseyside_is_out_of_area(tmp_path: Path) -> None:
    """A Manchester LSOA is in neither the partnership nor its comparison area: counted
    nowhere; without a comparison area a Liverpool LSOA is out of area, as before."""
    assert record_areas({"lsoa_code": MANCHESTER_LSOA}, AREAS) == ()
    assert record_areas({"lsoa_code": MANCHESTER_LSOA, **LIVERPOOL_POINT}, AREAS) == ()
    assert (
        record_areas({"lsoa_code": LIVERPOOL_LSOA}, load_areas(_without_comparison(tmp_path))) == ()
    )


def test_a_liverpool_record_adds_one_wider_field_per_bucket_and_nothing_else() -> None:
    """Its contribution lies wholly in Liverpool's shard of the wider level: the category
    field of its month bucket totals, ``all`` and its month detail."""
    inp = from_canonical(_doc(make_police_uk_crime(LIVERPOOL_LSOA)), AREAS)
    cells = contribution(inp, CONFIG)
    assert {(h.level, h.breakdown, h.authority) for h, _ in cells} == {
        (WIDER_LEVEL, "cat", LIVERPOOL)
    }
    assert sorted((h.kind, h.grain) for h, _ in cells) == [
        ("detail", "m"),
        ("totals", "all"),
        ("totals", "m"),
    ]
    assert {field.rsplit("|", 1)[0] if h.kind == "detail" else field for h, field in cells} == {
        f"{LIVERPOOL}|burglary"
    }
    assert set(cells.values()) == {1}


def test_a_wirral_record_adds_exactly_the_wider_fields(tmp_path: Path) -> None:
    """The extra work per partnership record: one category field per bucket it rolls up to,
    in Wirral's shard of the wider level; every other cell as without the comparison."""
    event = make_council_asb()
    with_wider = contribution(from_canonical(_doc(event), AREAS), CONFIG)
    before = contribution(
        from_canonical(_doc(event), load_areas(_without_comparison(tmp_path))), CONFIG
    )
    extra = with_wider - before
    assert not before - with_wider
    assert {(h.level, h.breakdown, h.authority) for h, _ in extra} == {(WIDER_LEVEL, "cat", WIRRAL)}
    # a two-hour span's home is its day: day, month and all totals, and the day's detail
    assert sorted((h.kind, h.grain) for h, _ in extra) == [
        ("detail", "d"),
        ("totals", "all"),
        ("totals", "d"),
        ("totals", "m"),
    ]
    assert all(field.startswith(f"{WIRRAL}|asb-nuisance") for _, field in extra)
    assert set(extra.values()) == {1}


def _plan(*events: dict[str, object]) -> tuple[dict[tuple[str, str], int], int]:
    docs = {str(d["record_key"]): d for d in (_doc(e) for e in events)}
    plan = Planner(CONFIG, AREAS).plan(docs, {}, "1")
    delays = sum(sum(day.values()) for day in plan.delays.values())
    return dict(plan.outcomes), delays


def test_a_liverpool_record_is_counted_not_out_of_area() -> None:
    """Out of area now means outside the partnership and the comparison area: a Liverpool
    record is counted (and not tagged), a Manchester one is tagged; neither feeds the
    partnership's reporting delays, which a Wirral record does."""
    outcomes, delays = _plan(make_police_uk_crime(LIVERPOOL_LSOA))
    assert outcomes == {(Outcome.COUNTED, "police"): 1}
    assert delays == 0
    outcomes, delays = _plan(make_police_uk_crime(MANCHESTER_LSOA))
    assert outcomes == {(Outcome.COUNTED, "police"): 1, (Outcome.OUT_OF_AREA, "police"): 1}
    assert delays == 0
    _, delays = _plan(make_police_uk_crime(WIRRAL_LSOA))
    assert delays == 1


def test_only_the_partnerships_records_are_listed_in_the_ticker() -> None:
    """The latest-incidents ticker lists a Wirral record as it arrives; a Liverpool one
    (counted in the wider area) and a Manchester one are never listed — their ticker entry
    is a removal, so a record corrected out of the partnership leaves the list too."""
    now = datetime.now(UTC).isoformat()
    timing = {"occurred": {"start": now, "end": None}, "received_at": now}
    rows = {}
    for lsoa in (WIRRAL_LSOA, LIVERPOOL_LSOA, MANCHESTER_LSOA):
        location = {"lsoa_code": lsoa, "ward_code": None, "lat": None, "lon": None}
        event = make_police_incident(data={"location": location, **timing})
        doc = _doc(event)
        plan = Planner(CONFIG, AREAS).plan({str(doc["record_key"]): doc}, {}, "1")
        ((_, _, row),) = plan.ticker
        rows[lsoa] = row
    assert rows[WIRRAL_LSOA]  # listed
    assert rows[LIVERPOOL_LSOA] == rows[MANCHESTER_LSOA] == ""
