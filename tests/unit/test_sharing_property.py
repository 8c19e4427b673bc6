"""The property behind every subscriber's topic: whatever the event and whatever the
agreement, what ``shared_view`` lets out carries no field, source, kind, category, area or
precision outside that agreement — and everything in scope does get out.

Events are drawn from the exported JSON Schema (``tests.schema_fuzz``) and kept when
validation accepts them, as the worker does; agreements are drawn from every option of the
agreement file. The oracle is written from the agreement's text, not from ``sharing.view``.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aggregates.inputs import canonical_doc, record_areas
from geography.areas import load_areas
from geography.police_points import load_police_points
from schemas.categories import CATEGORY_KIND, KIND_SOURCE, EventKind, LocationType, Source
from schemas.export import SCHEMA_DIR
from schemas.shared import SharedRecord
from sharing.agreements import (
    ALLOWED_FIELDS,
    ENVELOPE,
    PARTNERSHIP,
    Agreement,
    Level,
    Precision,
    parse_agreement,
)
from sharing.counts import Cell, agreed_change, day_figures, levels_allowed
from sharing.view import Scope, agreed_wards, shared_view, withdrawal
from streams.validation import Rejection, classify
from tests.schema_fuzz import SchemaFuzz

AREAS = load_areas()
POINTS = load_police_points()
_SCHEMA = json.loads((SCHEMA_DIR / "incident-event.v1.schema.json").read_text())
_POINT = st.tuples(st.floats(53.30, 53.44), st.floats(-3.22, -2.98)).map(
    lambda p: {"lat": p[0], "lon": p[1]}
)
_LOCATION = st.builds(
    lambda codes, point, extra: {**codes, **point, **extra},
    st.fixed_dictionaries(
        {},
        optional={
            "lsoa_code": st.sampled_from([*sorted(AREAS.lsoa_ward), "E01006512"]),
            "ward_code": st.sampled_from(sorted(AREAS.ward_names)),
        },
    ),
    st.one_of(_POINT, st.just({})),
    st.fixed_dictionaries(
        {},
        optional={
            "location_type": st.sampled_from([t.value for t in LocationType]),
            "place": st.sampled_from(["On or near Grange Road", "On or near Park/Open Space"]),
        },
    ),
)
"""Where an event is: an LSOA (of Wirral, or one of Liverpool's), a ward, a point in or near
Wirral, each or none — the places validation accepts (a latitude needs its longitude)."""
_HINTS = {"location": _LOCATION}
_EVENTS = SchemaFuzz(_SCHEMA, _HINTS, near_misses=False).documents()
_AREA_CODES = sorted(AREAS.ward_names) + sorted(AREAS.authority_names)


def _accepted(event: object) -> Any:
    """The event as validation accepts it (keyed by its record key, as feeds publish it)."""
    key = event.get("record_key") if isinstance(event, dict) else None
    return classify(
        key.encode() if isinstance(key, str) else None, json.dumps(event).encode(), None
    )


@st.composite
def agreements(draw: st.DrawFn) -> Agreement:
    sources = draw(st.lists(st.sampled_from(list(Source)), min_size=1, unique=True))
    kinds = [k for k, s in KIND_SOURCE.items() if s in sources]
    chosen_kinds = draw(st.one_of(st.none(), st.lists(st.sampled_from(kinds), min_size=1)))
    allowed = chosen_kinds or kinds
    slugs = sorted(c for c, k in CATEGORY_KIND.items() if k in allowed)
    raw: dict[str, Any] = {
        "subscriber": draw(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)),
        "sources": [s.value for s in sources],
        "level": Level.RECORDS.value,
        "precision": draw(st.sampled_from([p.value for p in Precision])),
        "fields": draw(st.lists(st.sampled_from(sorted(ALLOWED_FIELDS)), max_size=12)),
        "delay_hours": draw(st.sampled_from([0, 0.5, 24])),
        "areas": draw(
            st.one_of(
                st.just([PARTNERSHIP]),
                st.lists(st.sampled_from(_AREA_CODES), min_size=1, max_size=6),
            )
        ),
    }
    if chosen_kinds is not None:
        raw["kinds"] = [k.value for k in chosen_kinds]
    categories = draw(st.one_of(st.none(), st.lists(st.sampled_from(slugs), min_size=1)))
    if categories is not None:
        raw["categories"] = categories
    return Agreement.model_validate(raw)


def _agreed_wards(agreement: Agreement) -> set[str]:
    if agreement.areas == (PARTNERSHIP,):
        return set(AREAS.ward_names)
    return {
        w
        for w in AREAS.ward_names
        if w in agreement.areas or AREAS.ward_authority[w] in agreement.areas
    }


def _expected_in_scope(doc: dict[str, Any], agreement: Agreement) -> bool:
    kinds = set(agreement.kinds or [k for k, s in KIND_SOURCE.items() if s in agreement.sources])
    if EventKind(doc["type"]) not in kinds or Source(doc["source"]) not in agreement.sources:
        return False
    if agreement.categories is not None and doc["data"]["category"] not in agreement.categories:
        return False
    ward = dict(record_areas(doc["data"].get("location", {}), AREAS)).get("ward")
    return ward in _agreed_wards(agreement)


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(event=_EVENTS, agreement=agreements())
def test_nothing_outside_the_agreement_ever_leaves(event: object, agreement: Agreement) -> None:
    result = _accepted(event)
    assume(not isinstance(result, Rejection))
    assert not isinstance(result, Rejection)
    doc = canonical_doc(result)
    scope = Scope.of(agreement, AREAS, POINTS)
    shared = shared_view(doc, scope)

    assert (shared is not None) == _expected_in_scope(doc, agreement)
    if shared is None:
        return
    SharedRecord.model_validate(shared)  # the published contract: closed, typed
    assert set(shared) == {*ENVELOPE, "agreement", "data"}
    assert {k: shared[k] for k in ENVELOPE} == {k: doc[k] for k in ENVELOPE}
    assert shared["agreement"] == agreement.revision
    data, original = shared["data"], doc["data"]
    for name, value in data.items():
        if name in ("people", "flags"):
            for key in value:
                assert name in agreement.fields or f"{name}.{key}" in agreement.fields
            assert all(original[name][k] == v for k, v in value.items())
        elif name == "location":
            _check_location(value, original.get("location", {}), agreement)
        else:
            assert name in agreement.fields
            assert value == original[name]
    for name in agreement.fields:  # and everything agreed that the record has is there
        if "." not in name and name in original:
            assert data[name] == original[name]


def _check_location(where: dict[str, Any], own: dict[str, Any], agreement: Agreement) -> None:
    precision = agreement.precision
    assert precision is not Precision.NONE
    allowed = {"ward_code"}
    if precision in (Precision.LSOA, Precision.SNAPPED_POINT):
        allowed.add("lsoa_code")
    if precision is Precision.SNAPPED_POINT:
        allowed |= {"lat", "lon", "place"}
    if "location.location_type" in agreement.fields:
        allowed.add("location_type")
    assert set(where) <= allowed
    assert where["ward_code"] in _agreed_wards(agreement)
    if "lsoa_code" in where:
        assert AREAS.lsoa_ward[where["lsoa_code"]] == where["ward_code"]
    if "lat" in where:
        lsoa = where["lsoa_code"]
        snapped = {(p.lat, p.lon, p.place) for p in POINTS.get(lsoa, ())}
        interior = next((a.lat, a.lon) for a in AREAS.lsoas if a.code == lsoa)
        assert (where["lat"], where["lon"], where.get("place")) in snapped or (
            (where["lat"], where["lon"]) == interior and "place" not in where
        )
    if "place" in where and "lat" not in where:
        raise AssertionError("a place name without its snapped point")
    if own.get("place") and own["place"] != where.get("place"):
        assert own["place"] not in json.dumps(where)


@given(event=_EVENTS, agreement=agreements())
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_a_withdrawal_carries_the_envelope_only(event: object, agreement: Agreement) -> None:
    result = _accepted(event)
    assume(not isinstance(result, Rejection))
    assert not isinstance(result, Rejection)
    doc = canonical_doc(result)
    message = withdrawal(doc, Scope.of(agreement, AREAS, POINTS))
    SharedRecord.model_validate(message)
    assert message["status"] == "cancelled"
    assert message["data"] == {}


@given(agreement=agreements())
@settings(max_examples=100, deadline=None)
def test_every_drawn_agreement_round_trips_through_its_file(agreement: Agreement) -> None:
    """The drawn agreements are what the TOML files can say (and say the same)."""
    lines = [
        f"{k} = {json.dumps(v)}"
        for k, v in agreement.model_dump(mode="json").items()
        if v is not None
    ]
    again = parse_agreement("\n".join(lines), "drawn.toml", AREAS)
    assert again == agreement
    assert again.revision == agreement.revision


def test_the_drawn_events_are_mostly_accepted_and_often_in_scope() -> None:
    """The property is not vacuous: a fair share of the drawn events pass validation (the
    rest break the models' cross-field rules, e.g. hate strands without hate crime), and a
    broad agreement takes a good share of those (the ones placed in Wirral)."""
    broad = Agreement.model_validate(
        {
            "subscriber": "broad",
            "sources": ["police", "council", "fire"],
            "level": "records",
            "precision": "snapped-point",
        }
    )
    scope = Scope.of(broad, AREAS, POINTS)
    accepted = shared = 0

    @settings(max_examples=300, deadline=None, database=None)
    @given(event=_EVENTS)
    def count(event: object) -> None:
        nonlocal accepted, shared
        result = _accepted(event)
        if not isinstance(result, Rejection):
            accepted += 1
            shared += shared_view(canonical_doc(result), scope) is not None

    count()
    assert accepted >= 40
    assert shared >= accepted // 6


@st.composite
def count_agreements(draw: st.DrawFn) -> Agreement:
    drawn = draw(agreements())
    raw = drawn.model_dump(mode="json")
    raw.update(
        level="aggregates",
        precision=draw(st.sampled_from(["ward", "none", "lsoa"])),
        disclosure=draw(st.sampled_from(["protected", "ons"])),
    )
    return Agreement.model_validate(raw)


def _changes(agreement: Agreement) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Day cells mostly of a few agreed categories (so several share a borough figure), some
    of others, at every level and grain (the feed must keep ward days only)."""
    agreed = sorted(
        c
        for c, k in CATEGORY_KIND.items()
        if k in agreement.allowed_kinds and (not agreement.categories or c in agreement.categories)
    )
    few, others = st.sampled_from(agreed[:2]), st.sampled_from(sorted(CATEGORY_KIND))
    categories = st.one_of(few, few, few, st.sampled_from(agreed), others)
    return st.lists(
        st.fixed_dictionaries(
            {
                "level": st.sampled_from(["ward"] * 8 + ["borough", "lsoa"]),
                "grain": st.sampled_from(["day"] * 9 + ["hour"]),
                "area": st.sampled_from(sorted(AREAS.ward_names)),
                "category": categories,
                "count": st.integers(1, 40),
            }
        ),
        min_size=4,
        max_size=40,
    )


def _figures(
    changes: list[dict[str, Any]], agreement: Agreement
) -> list[tuple[str, dict[str, Any]]]:
    wards = frozenset(agreed_wards(agreement, AREAS))
    cells: dict[tuple[str, str], int] = {}
    for change in changes:
        if agreed_change(change, agreement, wards):
            cells[(change["area"], change["category"])] = change["count"]
    return day_figures([Cell(a, c, n) for (a, c), n in cells.items()], agreement, AREAS)


@settings(max_examples=400, deadline=None)
@given(agreement=count_agreements(), data=st.data())
def test_no_shared_count_is_small_outside_or_depends_on_a_small_count(
    agreement: Agreement, data: st.DataObject
) -> None:
    """What an aggregates-level topic carries: agreed areas, categories and levels only; no
    count under the threshold; and no figure moves when any small cell takes another small
    value (so no combination of figures can pin one down)."""
    changes = data.draw(_changes(agreement))
    figures = _figures(changes, agreement)
    threshold = 5 if agreement.disclosure.value == "protected" else 10
    wards = agreed_wards(agreement, AREAS)
    for level, row in figures:
        assert level in levels_allowed(agreement, AREAS)
        if level == "ward":
            assert row["area"] in wards
        else:
            assert set(AREAS.authority_wards(row["area"])) <= wards
        kind = CATEGORY_KIND[row["category"]]
        assert kind in agreement.allowed_kinds
        assert agreement.categories is None or row["category"] in agreement.categories
        count = row["count"]
        assert count is None or (count >= threshold and count % 5 == 0)
        suppressed = {"fewer than 5", "small numbers", "<10"}
        assert row["shown"] == f"{count:,}" if count is not None else row["shown"] in suppressed
    small = [i for i, c in enumerate(changes) if c["count"] < threshold]
    if small:
        moved = [dict(c) for c in changes]
        for i in small:
            moved[i]["count"] = data.draw(st.integers(1, threshold - 1))
        assert _figures(moved, agreement) == figures
