"""The one skip-to-dead-letter policy, as a pure function."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from redis import exceptions as redis_errors

from schemas.bounds import DEFAULT_BOUNDS, Bounds
from schemas.categories import Source
from schemas.deadletter import RejectReason
from schemas.events import IncidentEvent
from store.writer import ConcurrentUpdateError
from streams.validation import Rejection, classify, is_unavailable
from tests.builders import encode, key_of, make_fire_incident, make_police_incident


def test_valid_event_passes():
    """A valid event on its own source's topic with its record_key as key is accepted."""
    event = make_police_incident()
    result = classify(key_of(event), encode(event), Source.POLICE)
    assert not isinstance(result, Rejection)
    assert result.record_key == event["record_key"]


def test_not_json_is_its_own_reason():
    """Unparseable bytes are rejected as not-json."""
    result = classify(b"k", b"\xff\xfe not json", Source.POLICE)
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.NOT_JSON


def test_schema_violation_lists_every_field():
    """An invalid event is rejected with a summary naming each bad field."""
    bad = make_fire_incident(version=0, data={"cause": "aliens"})
    result = classify(key_of(bad), encode(bad), Source.FIRE)
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.INVALID
    assert "version" in result.detail
    assert "cause" in result.detail
    assert len(result.errors) == 2


def test_key_must_be_the_record_key():
    """A Kafka key other than the record_key would break per-record ordering: rejected."""
    event = make_police_incident()
    result = classify(b"another-key", encode(event), Source.POLICE)
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.KEY_MISMATCH


def test_event_on_another_sources_topic_is_rejected():
    """A fire event on the police raw topic is rejected as a source mismatch."""
    event = make_fire_incident()
    result = classify(key_of(event), encode(event), Source.POLICE)
    assert isinstance(result, Rejection)
    assert result.reason is RejectReason.SOURCE_MISMATCH


def test_errors_never_echo_the_input():
    """Field errors carry location and message but not the offending (maybe personal) value."""
    bad = make_police_incident(data={"caller_phone": "07700 900123"})
    result = classify(key_of(bad), encode(bad), Source.POLICE)
    assert isinstance(result, Rejection)
    assert "07700" not in str(result.errors)
    assert "07700" not in result.detail


def _reason(key: bytes | None, value: bytes | None) -> str:
    result = classify(key, value, Source.POLICE)
    assert isinstance(result, Rejection)
    return result.reason.value


def test_null_empty_and_not_an_object_have_reasons_of_their_own():
    """A null value, zero bytes, JSON that is not an object and bytes that are not JSON are
    four distinct reasons."""
    assert _reason(b"k", None) == "null-value"
    assert _reason(b"k", b"") == "empty"
    assert _reason(b"k", b"null") == "not-object"
    assert _reason(b"k", b"[1, 2]") == "not-object"
    assert _reason(b"k", b"\xef\xbb\xbf{}") == "not-json"


def test_a_missing_kafka_key_is_its_own_reason():
    """No key (or an empty one) is refused: per-record order depends on the key."""
    event = make_police_incident()
    assert _reason(None, encode(event)) == "missing-key"
    assert _reason(b"", encode(event)) == "missing-key"


def _at(start: str, end: str | None = None) -> IncidentEvent | Rejection:
    """A police incident that occurred at ``start`` (or over [start, end)), classified."""
    event = make_police_incident()
    event["data"]["occurred"] = {"start": start} | ({"end": end} if end else {})
    return classify(key_of(event), encode(event), None)


def _at_reason(start: str, end: str | None = None) -> str:
    result = _at(start, end)
    assert isinstance(result, Rejection)
    return result.reason.value


def test_time_bounds_hold_to_the_second():
    """1990-01-01T00:00Z is accepted and one second earlier is out of range, also when the
    zone moves the instant across the bound; a time in the future beyond the skew too."""
    assert not isinstance(_at("1990-01-01T00:00:00Z"), Rejection)
    assert _at_reason("1989-12-31T23:59:59Z") == "out-of-range"
    assert _at_reason("1990-01-01T00:30:00+01:00") == "out-of-range"
    assert not isinstance(_at("1989-12-31T23:30:00-01:00"), Rejection)
    soon = datetime.now(UTC) + DEFAULT_BOUNDS.future_skew - timedelta(minutes=1)
    late = datetime.now(UTC) + DEFAULT_BOUNDS.future_skew + timedelta(minutes=1)
    assert not isinstance(_at(soon.isoformat()), Rejection)
    assert _at_reason(late.isoformat()) == "out-of-range"


def test_configured_bounds_are_used():
    """The worker's bounds (a setting) decide, not the defaults."""
    event = make_police_incident()
    event["data"]["occurred"] = {"start": "1995-06-01T00:00:00Z"}
    strict = Bounds.of(date(2000, 1, 1), 60, 31)
    assert not isinstance(classify(key_of(event), encode(event), None), Rejection)
    result = classify(key_of(event), encode(event), None, strict)
    assert isinstance(result, Rejection)
    assert result.reason.value == "out-of-range"


def test_intervals_are_at_most_the_configured_length():
    """Exactly 400 days is accepted, a second more is out of range."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    longest = start + timedelta(days=400)
    assert not isinstance(_at(start.isoformat(), longest.isoformat()), Rejection)
    longer = (longest + timedelta(seconds=1)).isoformat()
    assert _at_reason(start.isoformat(), longer) == "out-of-range"


def test_times_must_be_zoned_strings():
    """A number (read as seconds since 1970) or a zone-less string is not a time."""
    for start in (12345, "12345", "2018-03-01", "2018-03-01T12:00:00"):
        event = make_police_incident()
        event["data"]["occurred"] = {"start": start}
        assert _reason(key_of(event), encode(event)) == "invalid", start


def test_versions_stay_within_64_bits():
    """2**63 - 1 is a version; 2**63 and 10**30 are out of range."""
    for version, reason in ((2**63, "out-of-range"), (10**30, "out-of-range")):
        event = make_police_incident(version=version)
        assert _reason(key_of(event), encode(event)) == reason
    event = make_police_incident(version=2**63 - 1)
    assert not isinstance(classify(key_of(event), encode(event), None), Rejection)


def test_personal_data_in_a_place_or_key_is_its_own_reason():
    """A name, phone number or house number in the place, or a phone number as a key segment,
    is refused as personal-data; police.uk road numbers are fine."""
    for place in ("On or near John Smith 07700 900123", "On or near John Smith", "12 Acacia Road"):
        event = make_police_incident(data={"location": {"place": place}})
        assert _reason(key_of(event), encode(event)) == "personal-data", place
    event = make_police_incident(record_key="council:wirral:asb:07700900123")
    assert _reason(key_of(event), encode(event)) == "personal-data"
    event = make_police_incident(data={"location": {"place": "On or near A5027"}})
    assert not isinstance(classify(key_of(event), encode(event), None), Rejection)


def test_classify_is_total():
    """Whatever raises inside (here: a value of the wrong type) becomes a processing-error."""
    result = classify(b"k", "not bytes", None)  # type: ignore[arg-type]
    assert isinstance(result, Rejection)
    assert result.reason.value in {"processing-error", "not-json"}


def test_infrastructure_faults_are_told_from_poison():
    """Redis unreachable, loading, busy or out of memory retries the batch; a script error or
    a bug in one event's processing is isolated."""
    assert is_unavailable(redis_errors.ConnectionError("gone"))
    assert is_unavailable(redis_errors.BusyLoadingError("loading"))
    assert is_unavailable(redis_errors.ResponseError("BUSY Redis is busy running a script"))
    assert is_unavailable(redis_errors.OutOfMemoryError("OOM command not allowed"))
    assert is_unavailable(ConcurrentUpdateError("kept conflicting"))
    assert not is_unavailable(redis_errors.ResponseError("WRONGTYPE Operation against a key"))
    assert not is_unavailable(ValueError("invalid literal for int() with base 10: '1e+30'"))
    assert not is_unavailable(OverflowError("date value out of range"))
    assert not is_unavailable(OSError(75, "Value too large for defined data type"))
    assert is_unavailable(ConnectionResetError(104, "Connection reset by peer"))
