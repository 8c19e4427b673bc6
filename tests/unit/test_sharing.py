"""Sharing agreements by hand: the issue's example file, each precision, areas, withdrawals,
and the one-line errors an operator sees for a wrong file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregates.inputs import canonical_doc
from geography.areas import load_areas
from geography.police_points import load_police_points
from safer.errors import ConfigError
from schemas.codec import decode_incident
from schemas.shared import SharedRecord
from sharing.agreements import load_agreements, parse_agreement
from sharing.view import Scope, shared_view, withdrawal
from tests.builders import DEFAULT_LSOA, DEFAULT_WARD, encode, make_council_asb, make_fire_incident

AREAS = load_areas()
FIRE_PREVENTION = """
subscriber = "fire-prevention"
sources = ["fire"]
level = "records"            # or "aggregates"
precision = "ward"           # lsoa | ward | snapped-point | none
fields = ["category", "occurred", "cause"]
delay_hours = 0
"""


def _doc(event: dict[str, object]) -> dict[str, object]:
    return canonical_doc(decode_incident(encode(event)))


def _scope(text: str) -> Scope:
    return Scope.of(parse_agreement(text, "test.toml", AREAS), AREAS)


def test_the_issue_example_shares_a_fire_by_ward_with_three_fields() -> None:
    fire = _doc(make_fire_incident())
    shared = shared_view(fire, _scope(FIRE_PREVENTION))
    assert shared is not None
    SharedRecord.model_validate(shared)
    assert shared["data"] == {
        "category": "secondary-fire",
        "occurred": fire["data"]["occurred"],  # type: ignore[index]
        "cause": "deliberate",
        "location": {"ward_code": DEFAULT_WARD},
    }
    assert set(shared) == {
        "id", "type", "source", "time", "record_key", "version", "status", "agreement", "data"
    }  # fmt: skip
    assert "partner" not in shared
    assert shared_view(_doc(make_council_asb()), _scope(FIRE_PREVENTION)) is None


def test_precisions_from_snapped_point_to_none() -> None:
    asb = make_council_asb()
    asb["data"]["location"].update(place="On or near Grange Road", location_type="park-open-space")  # type: ignore[index]
    doc = _doc(asb)
    base = 'subscriber = "x"\nsources = ["council"]\nlevel = "records"\n'
    points = {(p.lat, p.lon, p.place) for p in load_police_points()[DEFAULT_LSOA]}

    snapped = shared_view(doc, _scope(base + 'precision = "snapped-point"'))
    assert snapped is not None
    where = snapped["data"]["location"]
    assert (where["lat"], where["lon"], where["place"]) in points
    assert (where["lat"], where["lon"]) != (53.39, -3.02)  # never the record's own point
    assert where["lsoa_code"] == DEFAULT_LSOA
    assert "location_type" not in where

    lsoa = shared_view(
        doc, _scope(base + 'precision = "lsoa"\nfields = ["location.location_type"]')
    )
    assert lsoa is not None
    assert lsoa["data"] == {
        "location": {
            "lsoa_code": DEFAULT_LSOA,
            "ward_code": DEFAULT_WARD,
            "location_type": "park-open-space",
        }
    }
    ward = shared_view(doc, _scope(base + 'precision = "ward"'))
    assert ward is not None
    assert ward["data"] == {"location": {"ward_code": DEFAULT_WARD}}
    none = shared_view(doc, _scope(base + 'precision = "none"\nfields = ["people.youth"]'))
    assert none is not None
    assert none["data"] == {"people": {"youth": True}}


def test_areas_by_ward_or_authority_and_records_outside_the_partnership() -> None:
    base = 'subscriber = "x"\nsources = ["fire"]\nlevel = "records"\nprecision = "ward"\n'
    other_ward = next(w for w in AREAS.ward_names if w != DEFAULT_WARD)
    fire = _doc(make_fire_incident())
    assert shared_view(fire, _scope(base + f'areas = ["{DEFAULT_WARD}"]')) is not None
    assert shared_view(fire, _scope(base + f'areas = ["{other_ward}"]')) is None
    assert shared_view(fire, _scope(base + 'areas = ["E08000015"]')) is not None
    elsewhere = make_fire_incident()
    elsewhere["data"]["location"] = {"lsoa_code": "E01006512"}  # type: ignore[index]  # Liverpool
    assert shared_view(_doc(elsewhere), _scope(base)) is None
    unplaced = make_fire_incident()
    unplaced["data"]["location"] = {}  # type: ignore[index]
    assert shared_view(_doc(unplaced), _scope(base)) is None


def test_categories_and_kinds_narrow_the_sources() -> None:
    base = (
        'subscriber = "x"\nsources = ["council", "fire"]\nlevel = "records"\nprecision = "none"\n'
    )
    scope = _scope(base + 'categories = ["asb-nuisance"]\nfields = ["category"]')
    assert shared_view(_doc(make_fire_incident()), scope) is None
    shared = shared_view(_doc(make_council_asb()), scope)
    assert shared is not None
    assert shared["data"] == {"category": "asb-nuisance"}
    only_calls = _scope(base + 'kinds = ["council.call"]')
    assert shared_view(_doc(make_council_asb()), only_calls) is None


def test_a_withdrawal_is_the_envelope_as_cancelled() -> None:
    doc = _doc(make_fire_incident())
    message = withdrawal(doc, _scope(FIRE_PREVENTION))
    SharedRecord.model_validate(message)
    assert message["status"] == "cancelled"
    assert message["data"] == {}
    assert message["record_key"] == doc["record_key"]


def test_revision_follows_what_is_shared_not_how_it_is_written() -> None:
    a = parse_agreement(FIRE_PREVENTION, "a.toml")
    reordered = FIRE_PREVENTION.replace(
        '["category", "occurred", "cause"]', '["cause", "category", "occurred", "cause"]'
    )
    assert parse_agreement(reordered, "b.toml").revision == a.revision
    wider = FIRE_PREVENTION.replace('precision = "ward"', 'precision = "lsoa"')
    assert parse_agreement(wider, "c.toml").revision != a.revision


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('sources = ["fire"]', "sources.0: Input should be 'police', 'council' or 'fire'"),
        ("fields = []", None),
        ('fields = ["caller_ref"]', "fields: caller_ref is a pseudonymised reference"),
        ('fields = ["name"]', "fields: unknown field 'name'"),
        ('precision = "street"', "precision: Input should be"),
        ('level = "everything"', "level: Input should be 'records' or 'aggregates'"),
        ("delay_hours = -1", "delay_hours: Input should be greater than or equal to 0"),
    ],
)
def test_mistakes_are_one_line_errors(change: str, message: str | None) -> None:
    key = change.split(" = ")[0]
    lines = [line for line in FIRE_PREVENTION.splitlines() if not line.startswith(key)]
    text = "\n".join(lines) + "\n" + change.replace('["fire"]', '["fires"]')
    if message is None:
        assert parse_agreement(text, "a.toml").fields == ()
        return
    with pytest.raises(ConfigError) as raised:
        parse_agreement(text, "a.toml")
    assert str(raised.value).startswith(f"a.toml: {message}")
    assert "\n" not in str(raised.value)


def test_unknown_areas_and_misnamed_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="E05099999 is not a ward or authority of"):
        parse_agreement(FIRE_PREVENTION + 'areas = ["E05099999"]\n', "a.toml", AREAS)
    (tmp_path / "fire.toml").write_text(FIRE_PREVENTION)
    with pytest.raises(ConfigError, match=r"must be named fire-prevention\.toml"):
        load_agreements(tmp_path)
    (tmp_path / "fire.toml").rename(tmp_path / "fire-prevention.toml")
    assert list(load_agreements(tmp_path)) == ["fire-prevention"]
    assert load_agreements(tmp_path / "missing") == {}


def test_one_broken_file_leaves_the_others_loaded_when_asked(tmp_path: Path) -> None:
    (tmp_path / "fire-prevention.toml").write_text(FIRE_PREVENTION)
    (tmp_path / "cctv.toml").write_text('subscriber = "cctv"\nsources = "all"\n')
    errors: list[ConfigError] = []
    loaded = load_agreements(tmp_path, on_error=errors.append)
    assert list(loaded) == ["fire-prevention"]
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"{tmp_path / 'cctv.toml'}: ")
    with pytest.raises(ConfigError):
        load_agreements(tmp_path)  # without on_error: the operator's command fails
