"""The one skip-to-dead-letter policy, as a pure function."""

from __future__ import annotations

from schemas.categories import Source
from schemas.deadletter import RejectReason
from streams.validation import Rejection, classify
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
