"""Unit tests of the feed simulator and the live loop (no network, no broker)."""

from __future__ import annotations

import csv
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.adapters.pseudonyms import pseudonym
from feeds.raw import RawMessage
from feeds.simulator.generator import MEMORY, Simulator
from feeds.simulator.live import run_live
from feeds.simulator.malformed import MALFORMERS
from geography.areas import Areas, Lsoa, load_areas
from geography.police_points import load_police_points
from schemas.calendar import local
from schemas.categories import ACTIVITY_KINDS, EventKind, RecordStatus, Source
from schemas.codec import ValidationError, decode_incident
from schemas.events import ControlRoomCall, CouncilAsb, IncidentEvent, Location
from scripts.derive_police_points import count_points

HEX32 = re.compile(r"[0-9a-f]{32}")
FRIDAY_EVENING = datetime(2018, 6, 15, 20, 0, tzinfo=UTC)
FORBIDDEN_FIELDS = {
    "name",
    "caller_name",
    "victim_name",
    "phone",
    "telephone",
    "email",
    "address",
    "postcode",
    "narrative",
    "notes",
    "dob",
    "date_of_birth",
}


# --- builders ---------------------------------------------------------------------------


def make_simulator(**overrides: Any) -> Simulator:
    options: dict[str, Any] = {"seed": 7} | overrides
    return Simulator(load_areas(), **options)


def make_messages(
    n: int = 1_000, *, now: datetime = FRIDAY_EVENING, **overrides: Any
) -> list[RawMessage]:
    return make_simulator(**overrides).messages(n, now, window=timedelta(hours=1))


def valid(messages: list[RawMessage]) -> list[tuple[RawMessage, IncidentEvent]]:
    return [(m, decode_incident(m.value)) for m in messages if m.label != "malformed"]


def field_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield name
            yield from field_names(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from field_names(inner)


def correction_facts(event: IncidentEvent) -> tuple[object, ...]:
    """What a correction may change: type (ASB sub-type included), LSOA, occurrence."""
    data = event.data
    kind = getattr(data, "asb_type", data.category)
    return kind, data.location.lsoa_code, data.occurred


class FakeClock:
    """A clock the test advances by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class FakePublisher:
    """Collects what run_live publishes."""

    def __init__(self) -> None:
        self.messages: list[RawMessage] = []
        self.flushed = 0
        self.failed = 0

    def publish(self, messages: list[RawMessage]) -> int:
        self.messages.extend(messages)
        return len(messages)

    def flush(self) -> None:
        self.flushed += 1


@pytest.fixture(scope="module")
def batch() -> list[RawMessage]:
    """5,000 messages over a Friday-evening hour, seed 7."""
    return make_messages(5_000)


WEEK_START = datetime(2018, 6, 11, tzinfo=UTC)


@pytest.fixture(scope="module")
def week() -> list[IncidentEvent]:
    """Incidents occurring in one week (from Mon 11 June 2018), from hourly batches that
    start three days earlier and end three days later, as police crimes lag up to 3 days."""
    clock = FakeClock(WEEK_START - timedelta(days=3))
    batches = make_simulator().stream(0.01, clock, follow_rhythm=True)
    next(batches)
    events: list[IncidentEvent] = []
    for _ in range(13 * 24):
        clock.now += timedelta(hours=1)
        events.extend(event for _, event in valid(next(batches)))
    end = WEEK_START + timedelta(days=7)
    return [e for e in events if WEEK_START <= e.data.occurred.start < end]


@pytest.fixture(scope="module")
def areas() -> Areas:
    return load_areas()


# --- validity ----------------------------------------------------------------------------


def test_every_non_malformed_message_decodes_with_its_record_key(batch: list[RawMessage]) -> None:
    """Every non-malformed message passes the v1 contract and is keyed by its record_key."""
    for message, event in valid(batch):
        assert message.key == event.record_key.encode()
        assert message.source is event.source


def test_every_malformed_message_fails_to_decode(batch: list[RawMessage]) -> None:
    """Every message labelled malformed is rejected by decode_incident."""
    malformed = [m for m in batch if m.label == "malformed"]
    assert malformed
    for message in malformed:
        with pytest.raises(ValidationError):
            decode_incident(message.value)


@pytest.mark.parametrize("kind", sorted(MALFORMERS))
def test_each_kind_of_malformation_is_rejected(kind: str) -> None:
    """Each malformation (not JSON, truncated, missing field, ...) fails on every event kind."""
    import random

    rng = random.Random(kind)
    for _, event in valid(make_messages(60, correction_share=0.0, duplicate_share=0.0))[:60]:
        with pytest.raises(ValidationError):
            decode_incident(MALFORMERS[kind](rng, event))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32), hour=st.integers(min_value=0, max_value=167))
def test_any_seed_and_hour_yields_valid_messages(seed: int, hour: int) -> None:
    """For any seed and hour of the week, every non-malformed message validates."""
    now = datetime(2018, 6, 11, tzinfo=UTC) + timedelta(hours=hour)
    for message, event in valid(make_messages(150, now=now, seed=seed, malformed_share=0.05)):
        assert message.key == event.record_key.encode()


def test_sources_and_kinds_appear_in_about_the_configured_shares(batch: list[RawMessage]) -> None:
    """Police ~50%, council ~35% (ASB and calls), fire ~15%; all four incident kinds appear
    (police activity, stop and search, comes from the published files only)."""
    events = [event for _, event in valid(batch)]
    sources = Counter(event.source for event in events)
    assert sources[Source.POLICE] / len(events) == pytest.approx(0.50, abs=0.04)
    assert sources[Source.COUNCIL] / len(events) == pytest.approx(0.35, abs=0.04)
    assert sources[Source.FIRE] / len(events) == pytest.approx(0.15, abs=0.03)
    assert {event.type for event in events} == set(EventKind) - ACTIVITY_KINDS


def test_police_crime_mix_is_realistic() -> None:
    """Violence ~30% and ASB ~20% of police crimes, and all 14 crime types occur."""
    police = [e for _, e in valid(make_messages(8_000)) if e.source is Source.POLICE]
    crimes = Counter(e.category for e in police)
    total = sum(crimes.values())
    assert crimes["violent-crime"] / total == pytest.approx(0.30, abs=0.03)
    assert crimes["anti-social-behaviour"] / total == pytest.approx(0.21, abs=0.03)
    assert len(crimes) == 14


# --- labels: duplicates, corrections, shares ----------------------------------------------


def test_label_shares_are_roughly_as_configured(batch: list[RawMessage]) -> None:
    """Over 5,000 messages the labels follow the default 2% / 3% / 1% shares."""
    labels = Counter(message.label for message in batch)
    share = {label: count / len(batch) for label, count in labels.items()}
    assert share["duplicate"] == pytest.approx(0.02, abs=0.008)
    assert share["correction"] + share["cancellation"] == pytest.approx(0.03, abs=0.01)
    assert 0 < share["cancellation"] < share["correction"]
    assert share["malformed"] == pytest.approx(0.01, abs=0.005)


def test_configured_shares_are_honoured() -> None:
    """Raising the duplicate and malformed shares raises their counts accordingly."""
    messages = make_messages(3_000, duplicate_share=0.1, malformed_share=0.1)
    labels = Counter(m.label for m in messages)
    assert labels["duplicate"] / 3_000 == pytest.approx(0.1, abs=0.02)
    assert labels["malformed"] / 3_000 == pytest.approx(0.1, abs=0.02)


def test_duplicates_repeat_an_earlier_record_version(batch: list[RawMessage]) -> None:
    """A duplicate has the (record_key, version) of an earlier message; some are byte-equal."""
    seen: set[tuple[str, int]] = set()
    values: set[bytes] = set()
    byte_equal = 0
    for message, event in valid(batch):
        if message.label == "duplicate":
            assert (event.record_key, event.version) in seen
            byte_equal += message.value in values
        seen.add((event.record_key, event.version))
        values.add(message.value)
    duplicates = sum(m.label == "duplicate" for m in batch)
    assert 0 < byte_equal < duplicates


def test_corrections_and_cancellations_raise_the_version_of_an_earlier_record(
    batch: list[RawMessage],
) -> None:
    """A correction/cancellation is version+1 of a record published earlier in the stream."""
    latest: dict[str, int] = {}
    for message, event in valid(batch):
        if message.label in ("correction", "cancellation"):
            assert latest[event.record_key] == event.version - 1
        if message.label == "cancellation":
            assert event.status is RecordStatus.CANCELLED
        latest[event.record_key] = max(latest.get(event.record_key, 0), event.version)


def test_corrections_change_category_place_or_time(batch: list[RawMessage]) -> None:
    """Each correction changes the type, the LSOA or the occurrence time of the record."""
    previous: dict[str, IncidentEvent] = {}
    for message, event in valid(batch):
        before = previous.get(event.record_key)
        if message.label == "correction" and before is not None:
            assert correction_facts(event) != correction_facts(before)
        previous[event.record_key] = event


def test_memory_of_past_records_is_bounded() -> None:
    """The simulator remembers at most MEMORY messages and records however long it runs."""
    simulator = make_simulator()
    simulator.messages(MEMORY * 2, FRIDAY_EVENING, window=timedelta(hours=2))
    assert len(simulator._sent) <= MEMORY
    assert len(simulator._records) <= MEMORY


def test_message_ids_are_unique_except_redeliveries(batch: list[RawMessage]) -> None:
    """Message ids are unique uuid4 hex strings, except byte-for-byte redeliveries."""
    distinct = {m.value: e.id for m, e in valid(batch)}
    ids = list(distinct.values())
    assert len(ids) == len(set(ids))
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


# --- reproducibility ------------------------------------------------------------------------


def test_seeded_runs_are_reproducible() -> None:
    """The same seed gives byte-identical traffic; another seed gives different traffic."""
    assert make_messages(500, seed=3) == make_messages(500, seed=3)
    assert make_messages(500, seed=3) != make_messages(500, seed=4)


# --- geography and realism ------------------------------------------------------------------


def test_area_codes_come_from_the_areas_file(batch: list[RawMessage], areas: Areas) -> None:
    """Every LSOA is in the areas file and every ward is that LSOA's ward."""
    ward_of = {lsoa.code: lsoa.ward_code for lsoa in areas.lsoas}
    for _, event in valid(batch):
        location = event.data.location
        assert location.lsoa_code in ward_of
        assert location.ward_code == ward_of[location.lsoa_code]


def test_hot_spots_concentrate_incidents(batch: list[RawMessage], areas: Areas) -> None:
    """A tenth of the LSOAs carry far more than a tenth of incidents (real hot spots)."""
    by_lsoa = Counter(e.data.location.lsoa_code for _, e in valid(batch))
    top = sum(count for _, count in by_lsoa.most_common(len(areas.lsoas) // 10))
    assert top / sum(by_lsoa.values()) > 0.25
    top_ward = Counter(e.data.location.ward_code for _, e in valid(batch)).most_common(1)[0][0]
    assert areas.ward_name(top_ward) == "Birkenhead and Tranmere"


def test_police_locations_are_named_police_points(batch: list[RawMessage]) -> None:
    """Police events carry an 'On or near …' place; other partners carry no place name."""
    for _, event in valid(batch):
        place = event.data.location.place
        if event.source is Source.POLICE:
            assert place is not None
            assert place.startswith("On or near ")
        else:
            assert place is None


def test_locations_lie_near_their_lsoa(batch: list[RawMessage], areas: Areas) -> None:
    """Coordinates are within about 3 km of the LSOA's interior point."""
    centre = {lsoa.code: (lsoa.lat, lsoa.lon) for lsoa in areas.lsoas}
    for _, event in valid(batch):
        location = event.data.location
        lat, lon = centre[location.lsoa_code or ""]
        assert abs(location.lat - lat) < 0.03
        assert abs(location.lon - lon) < 0.045


def test_event_time_lags_receipt_as_each_feed_does(batch: list[RawMessage]) -> None:
    """Police crimes end >=1 h before receipt, ASB minutes-hours, calls and fires minutes."""
    limits = {
        EventKind.POLICE_CRIME: (timedelta(hours=1), timedelta(days=3, minutes=2)),
        EventKind.COUNCIL_ASB: (timedelta(minutes=4), timedelta(hours=4, minutes=2)),
        EventKind.COUNCIL_CALL: (timedelta(seconds=59), timedelta(minutes=8, seconds=2)),
        EventKind.FIRE_INCIDENT: (timedelta(seconds=29), timedelta(seconds=92)),
    }
    for message, event in valid(batch):
        if message.label != "new":
            continue
        occurred = event.data.occurred
        lag = event.data.received_at - (occurred.end or occurred.start)
        low, high = limits[event.type]
        assert low <= lag <= high, (event.type, lag)
        assert event.data.received_at <= event.time


def test_evening_hours_outnumber_small_hours_over_a_week(week: list[IncidentEvent]) -> None:
    """Over a week of hourly batches, 18:00-23:00 local has more incidents than 03:00-06:00."""
    arrived = Counter(local(event.time).hour for event in week)
    occurred = Counter(local(event.data.occurred.start).hour for event in week)
    for hours in (arrived, occurred):
        evening = sum(hours[h] for h in range(18, 23))
        small_hours = sum(hours[h] for h in range(3, 6))
        assert evening > 2 * small_hours


def test_weekend_nights_are_busier_for_violence(week: list[IncidentEvent]) -> None:
    """Violent crime on Friday/Saturday evenings outnumbers Monday/Tuesday evenings."""
    nights: Counter[str] = Counter()
    for event in (e for e in week if e.category == "violent-crime"):
        start = local(event.data.occurred.start)
        if start.hour >= 19:
            nights[start.strftime("%a")] += 1
    assert nights["Fri"] + nights["Sat"] > 1.2 * (nights["Mon"] + nights["Tue"])


# --- privacy ---------------------------------------------------------------------------------


def test_no_message_carries_personal_data_fields(batch: list[RawMessage]) -> None:
    """No valid message has a field named name, phone, address, narrative or the like."""
    for message, _ in valid(batch):
        assert not FORBIDDEN_FIELDS & set(field_names(json.loads(message.value)))


def test_council_references_are_keyed_pseudonyms_and_some_repeat(batch: list[RawMessage]) -> None:
    """caller_ref/address_ref are 32 lowercase hex chars; a minority of them repeat."""
    council = [e.data for _, e in valid(batch) if isinstance(e.data, CouncilAsb | ControlRoomCall)]
    callers = Counter(d.caller_ref for d in council if d.caller_ref is not None)
    addresses = Counter(d.address_ref for d in council)
    assert all(HEX32.fullmatch(ref or "") for ref in [*callers, *addresses])
    for refs in (callers, addresses):
        repeated = sum(count for count in refs.values() if count > 1)
        assert 0.03 < repeated / sum(refs.values()) < 0.5


def test_pseudonym_is_a_truncated_keyed_hash() -> None:
    """The pseudonym is stable for one key and differs under another key."""
    assert pseudonym(b"k1", "caller-1") == pseudonym(b"k1", "caller-1")
    assert pseudonym(b"k1", "caller-1") != pseudonym(b"k2", "caller-1")
    assert len(pseudonym(b"k1", "caller-1")) == 32


# --- live loop -------------------------------------------------------------------------------


def test_stream_emits_about_rate_messages_per_second() -> None:
    """At 20 msg/s, ten one-second clock ticks give 200 messages (fractions carry over)."""
    clock = FakeClock(FRIDAY_EVENING)
    batches = make_simulator().stream(20.0, clock)
    assert next(batches) == []
    total = 0
    for _ in range(40):
        clock.now += timedelta(seconds=0.25)
        total += len(next(batches))
    assert total == 200


def test_run_live_publishes_until_stopped() -> None:
    """run_live sends batches each tick, reports progress and flushes when stop is set."""
    publisher, stop, seen = FakePublisher(), threading.Event(), []

    def progress(total: int) -> None:
        seen.append(total)
        if len(seen) >= 5:
            stop.set()

    total = run_live(publisher, make_simulator(), 200.0, stop, progress, tick=0.02)  # type: ignore[arg-type]
    assert total == len(publisher.messages) > 0
    assert publisher.flushed == 1
    assert seen == sorted(seen)


# --- packaged police points ------------------------------------------------------------------


def test_packaged_police_points_are_valid_wirral_places(areas: Areas) -> None:
    """Every packaged point is in a Wirral LSOA and its name passes the place-name rule."""
    codes = {lsoa.code for lsoa in areas.lsoas}
    points = load_police_points()
    assert set(points) <= codes
    assert len(points) > 150
    for group in points.values():
        for point in group:
            Location(lat=point.lat, lon=point.lon, place=point.place, lsoa_code=point.lsoa_code)


def test_derivation_keeps_located_area_rows_and_counts_them(tmp_path: Path, areas: Areas) -> None:
    """derive_points counts crimes per distinct point and drops rows outside the areas."""
    inside = areas.lsoas[0].code
    source = tmp_path / "2018-03-merseyside-street.csv"
    header = ["Crime ID", "Latitude", "Longitude", "Location", "LSOA code", "Crime type"]
    rows = [
        ["a", "53.1", "-3.1", "On or near Grange Road", inside, "Burglary"],
        ["b", "53.1", "-3.1", "On or near Grange Road", inside, "Drugs"],
        ["c", "", "", "No location", inside, "Drugs"],
        ["d", "53.4", "-2.9", "On or near Bold Street", "E01006512", "Drugs"],
    ]
    with source.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    counts = count_points([source], areas)
    assert counts == Counter({(inside, "53.1", "-3.1", "On or near Grange Road"): 2})


def make_other_areas() -> Areas:
    """A made-up partnership of three LSOAs that have no packaged police points."""
    lsoas = tuple(
        Lsoa(f"E0100000{i}", f"Elsewhere 00{i}A", f"E0500000{i % 2}", 52.5 + i / 100, -2.0, 1500)
        for i in range(3)
    )
    return Areas(
        lsoas=lsoas,
        ward_names={"E05000000": "North", "E05000001": "South"},
        lsoa_ward={lsoa.code: lsoa.ward_code for lsoa in lsoas},
        boundaries=Path("elsewhere.geojson"),  # never read: the simulator places by LSOA
    )


def test_another_partnerships_areas_work_without_police_points() -> None:
    """With areas the packaged points do not cover, events fall back to interior points."""
    areas = make_other_areas()
    messages = Simulator(areas, seed=1).messages(300, FRIDAY_EVENING, window=timedelta(hours=1))
    codes = {lsoa.code for lsoa in areas.lsoas}
    for _, event in valid(messages):
        assert event.data.location.lsoa_code in codes
        assert event.data.location.place is None
