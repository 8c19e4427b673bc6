"""The event contract v1: what it accepts, what it rejects, and its exported JSON Schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from aggregates.buckets import day_of, epoch_hour, month_of
from schemas.calendar import hour_of_week
from schemas.categories import CATEGORY_NAMES, CrimeType
from schemas.codec import ValidationError, decode_incident, encode_incident
from schemas.export import stale
from tests.builders import (
    encode,
    make_control_room_call,
    make_council_asb,
    make_fire_incident,
    make_police_incident,
)

BUILDERS = [make_police_incident, make_council_asb, make_control_room_call, make_fire_incident]


@pytest.mark.parametrize("builder", BUILDERS)
def test_every_kind_round_trips(builder):  # type: ignore[no-untyped-def]
    """Each kind decodes to its typed model and re-encodes to an equal event."""
    event = decode_incident(encode(builder()))
    assert decode_incident(encode_incident(event)) == event


def test_timestamps_are_stored_in_utc():
    """A +01:00 time is normalised to UTC; a naive time is rejected."""
    event = decode_incident(encode(make_police_incident(time="2026-06-01T10:00:00+01:00")))
    assert event.time == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        decode_incident(encode(make_police_incident(time="2026-06-01T10:00:00")))


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ("data", "caller_name", "Jane Smith"),
        ("data", "phone", "07700 900123"),
        ("data", "address", "12 Acacia Avenue"),
        ("data", "narrative", "the man next door shouted"),
        ("", "name", "Jane Smith"),
    ],
)
def test_personal_data_has_no_field(where, field, value):  # type: ignore[no-untyped-def]
    """Names, phone numbers, addresses and narratives are rejected as unknown fields."""
    event = make_council_asb()
    target = event["data"] if where else event
    target[field] = value
    with pytest.raises(ValidationError) as caught:
        decode_incident(encode(event))
    assert any(err["type"] == "extra_forbidden" for err in caught.value.errors())


@pytest.mark.parametrize("place", ["12 Acacia Avenue", "On or near CH41 5LH", "Flat 3 Grange Road"])
def test_place_rejects_postal_addresses(place):  # type: ignore[no-untyped-def]
    """The controlled place field refuses house numbers and postcodes."""
    with pytest.raises(ValidationError):
        decode_incident(encode(make_police_incident(data={"location": {"place": place}})))


def test_road_numbers_are_allowed_in_places():
    """Police snap points such as 'On or near A41' stay valid."""
    event = decode_incident(
        encode(make_police_incident(data={"location": {"place": "On or near A41"}}))
    )
    assert event.data.location.place == "On or near A41"


def test_all_field_errors_are_reported_at_once():
    """A record with three faults reports all three."""
    bad = make_fire_incident(version=0, data={"category": "bonfire", "cause": "aliens"})
    with pytest.raises(ValidationError) as caught:
        decode_incident(encode(bad))
    locs = {".".join(map(str, e["loc"])) for e in caught.value.errors()}
    assert {
        "fire.incident.version",
        "fire.incident.data.category",
        "fire.incident.data.cause",
    } <= locs


def test_interval_must_end_after_start():
    """occurred.end before occurred.start is rejected (windows are half-open)."""
    bad = make_police_incident(
        data={"occurred": {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}}
    )
    with pytest.raises(ValidationError):
        decode_incident(encode(bad))


def test_asb_type_must_belong_to_its_category():
    """Scrambler bikes are nuisance ASB, not environmental."""
    with pytest.raises(ValidationError):
        decode_incident(encode(make_council_asb(data={"category": "asb-environmental"})))


def test_source_must_match_kind():
    """A police.crime event claiming to come from the fire service is rejected."""
    with pytest.raises(ValidationError):
        decode_incident(encode(make_police_incident(source="fire")))


def test_cancelled_status_is_part_of_the_envelope():
    """status=cancelled decodes (it withdraws the record downstream)."""
    event = decode_incident(encode(make_police_incident(status="cancelled", version=2)))
    assert event.status.value == "cancelled"


def test_fourteen_police_crime_types_with_names():
    """data.police.uk's 14 crime types, each with a display name."""
    assert len(CrimeType) == 14
    assert CATEGORY_NAMES["violent-crime"] == "Violence and sexual offences"
    assert all(c.value in CATEGORY_NAMES for c in CrimeType)


def test_calendar_buckets_follow_london_time():
    """23:30 UTC on 31 March 2019 (BST) is 1 April local: its April day and month buckets,
    Monday hour 0."""
    ts = datetime(2019, 3, 31, 23, 30, tzinfo=UTC)
    assert month_of(epoch_hour(ts)) == "201904"
    assert day_of(epoch_hour(ts)) == "20190401"
    assert hour_of_week(ts) == 0
    winter = datetime(2019, 1, 6, 23, 30, tzinfo=UTC)  # Sunday, GMT
    assert hour_of_week(winter) == 6 * 24 + 23
    assert day_of(epoch_hour(winter)) == "20190106"


def test_exported_json_schemas_are_current():
    """The checked-in JSON Schema files equal a fresh export (run `safer schemas export`)."""
    assert stale() == []


def test_exported_schema_lists_every_kind():
    """The union schema's discriminator maps every event kind."""
    from schemas.export import SCHEMA_DIR

    schema = json.loads((SCHEMA_DIR / "incident-event.v1.schema.json").read_text())
    assert set(schema["discriminator"]["mapping"]) == {
        "police.crime",
        "council.asb",
        "council.call",
        "fire.incident",
        "police.stop-search",
    }
