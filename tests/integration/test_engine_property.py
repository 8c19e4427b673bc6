"""The aggregation engine, property-tested through the real broker, worker and Redis.

Hypothesis draws partner records with several versions (corrections of category, area and
event time; cancellations), publishes every version at least once — redeliveries and
out-of-order versions included — to the raw topics, waits until the one worker of this
module has handled every message, and compares the stored figures with a brute-force
recount of the drawn records written here, independently of ``aggregates``: per record
the highest version wins and a cancelled one counts nowhere; a window [start, end) of
epoch hours counts an event whose span (rounded outward to whole UTC hours, an instant
occupying its hour) lies wholly inside it and reports one that only overlaps as unplaced.

One worker serves every example (joining a consumer group costs seconds); each example
uses fresh record keys and compares the change it made to the figures, so examples do not
interfere.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from redis import Redis

from cli.stack.procs import free_port
from feeds.publish.publisher import RawPublisher
from feeds.raw import Label, RawMessage
from feeds.simulator.generator import Simulator
from geography.areas import load_areas
from safer.settings import Settings
from schemas.calendar import LONDON
from schemas.categories import (
    ASB_TYPE_CATEGORY,
    AsbCategory,
    CallCategory,
    CrimeType,
    FireCategory,
    Source,
)
from schemas.outcomes import COUNT_OUTCOMES
from schemas.topics import Topics
from store.reader import StoreReader
from tests.builders import (
    encode,
    make_control_room_call,
    make_council_asb,
    make_fire_incident,
    make_police_incident,
)
from tests.conftest import Infra, isolated_settings, new_namespace
from tests.integration.worker import running_worker, wait_for

HOUR_S = 3600
AREAS = load_areas()
LSOA_WARD = tuple(sorted(AREAS.lsoa_ward.items()))
WARDS = tuple(sorted(AREAS.ward_names))
OUTSIDE_WARD, OUTSIDE_LSOA = "E05000886", "E01006512"  # Liverpool: in no Wirral area
LEVELS = ("borough", "ward", "lsoa")
BREAKDOWNS = ("cat", "youth")
SETTLE_S = 120.0

Builder = Callable[..., dict[str, Any]]
Cells = dict[tuple[str, str, str], tuple[int, int]]  # (area, category, value) -> count, unplaced


@dataclass(frozen=True)
class Kind:
    source: Source
    categories: tuple[str, ...]
    build: Builder


KINDS: dict[str, Kind] = {
    "police": Kind(Source.POLICE, tuple(c.value for c in CrimeType), make_police_incident),
    "asb": Kind(Source.COUNCIL, tuple(c.value for c in AsbCategory), make_council_asb),
    "call": Kind(Source.COUNCIL, tuple(c.value for c in CallCategory), make_control_room_call),
    "fire": Kind(Source.FIRE, tuple(c.value for c in FireCategory), make_fire_incident),
}
ASB_TYPE_OF = {category.value: kind.value for kind, category in ASB_TYPE_CATEGORY.items()}


# --- independent calendar arithmetic (test side; never aggregates.buckets) ---------------


def _utc_s(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


def _local_midnight_h(day: date) -> int:
    # UK clocks change at 01:00 UTC, so local midnight is never skipped or repeated.
    return int(datetime(day.year, day.month, day.day, tzinfo=LONDON).timestamp()) // HOUR_S


def _local_month_h(year: int, month: int) -> tuple[int, int]:
    following = date(year + month // 12, month % 12 + 1, 1)
    return _local_midnight_h(date(year, month, 1)), _local_midnight_h(following)


def _iso(epoch_s: int) -> str:
    """A timestamp as partners send it: UK local time with its offset."""
    return datetime.fromtimestamp(epoch_s, LONDON).isoformat()


def _hour_text(hour: int) -> str:
    return datetime.fromtimestamp(hour * HOUR_S, UTC).strftime("%Y-%m-%dT%H:%MZ")


@dataclass(frozen=True)
class Era:
    """Some weeks around a UK clock change, spanning a local month boundary."""

    first_h: int
    last_h: int
    clock_change_day: date
    months: tuple[tuple[int, int], ...]


ERAS = (
    Era(
        _utc_s(2026, 3, 12) // HOUR_S,
        _utc_s(2026, 4, 8) // HOUR_S,
        date(2026, 3, 29),
        ((2026, 3), (2026, 4)),
    ),
    Era(
        _utc_s(2026, 10, 12) // HOUR_S,
        _utc_s(2026, 11, 8) // HOUR_S,
        date(2026, 10, 25),
        ((2026, 10), (2026, 11)),
    ),
)


# --- what hypothesis draws --------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One version of a partner record; times in epoch seconds (end None: an instant)."""

    number: int
    category: str
    ward: str | None
    lsoa: str | None
    start_s: int
    end_s: int | None
    youth: bool | None
    cancelled: bool
    lag_s: int  # received this long after the event's end (late arrivals: weeks)

    def describe(self) -> str:
        when = _iso(self.start_s) + ("" if self.end_s is None else f" .. {_iso(self.end_s)}")
        status = " CANCELLED" if self.cancelled else ""
        return (
            f"v{self.number}{status} {self.category} ward={self.ward} lsoa={self.lsoa} "
            f"[{when}] youth={self.youth} lag={self.lag_s}s"
        )


@dataclass(frozen=True)
class Record:
    kind: str
    versions: tuple[Version, ...]


@dataclass(frozen=True)
class Scenario:
    records: tuple[Record, ...]
    deliveries: tuple[tuple[int, int], ...]  # (record index, version index), publish order
    windows: tuple[tuple[int, int], ...]  # [start, end) in epoch hours


LATEST_END_S = int(time.time()) - HOUR_S
"""No event ends in the future (the contract refuses it); an era near today is cut here."""


@st.composite
def occurrences(draw: st.DrawFn, era: Era, kind: str) -> tuple[int, int | None]:
    shapes = ["instant", "interval", "whole-hours"] + (["month-only"] if kind == "police" else [])
    shape = draw(st.sampled_from(shapes))
    lo, hi = era.first_h * HOUR_S, era.last_h * HOUR_S
    if shape == "instant":
        return draw(st.integers(lo, hi)), None
    if shape == "whole-hours":
        first = draw(st.integers(era.first_h, era.last_h))
        return first * HOUR_S, (first + draw(st.integers(1, 60))) * HOUR_S
    if shape == "month-only":  # police.uk: only the month is known
        first, last = _local_month_h(*draw(st.sampled_from(era.months)))
        return first * HOUR_S, last * HOUR_S
    start = draw(st.integers(lo, hi))
    length = draw(
        st.one_of(
            st.integers(1, 2 * HOUR_S),
            st.integers(1, 3 * 24 * HOUR_S),
            st.integers(1, 45 * 24 * HOUR_S),  # may outgrow its month: a long event
        )
    )
    return start, min(start + length, LATEST_END_S)


@st.composite
def locations(draw: st.DrawFn) -> tuple[str | None, str | None]:
    """(ward, lsoa): a Wirral pair, a Wirral LSOA with another or a non-existent ward code,
    LSOA only, ward only, outside Wirral, or none."""
    shape = draw(
        st.sampled_from(["pair", "pair", "mismatch", "lsoa", "lsoa", "ward", "outside", "none"])
    )
    lsoa, ward = draw(st.sampled_from(LSOA_WARD))
    if shape == "pair":
        return ward, lsoa
    if shape == "mismatch":
        return draw(st.sampled_from([*WARDS, "E05999999"])), lsoa
    if shape == "lsoa":
        return None, lsoa
    if shape == "ward":
        return draw(st.sampled_from(WARDS)), None
    if shape == "outside":
        return OUTSIDE_WARD, OUTSIDE_LSOA
    return None, None


@st.composite
def versions(draw: st.DrawFn, era: Era, kind: str, number: int) -> Version:
    ward, lsoa = draw(locations())
    start_s, end_s = draw(occurrences(era, kind))
    return Version(
        number=number,
        category=draw(st.sampled_from(KINDS[kind].categories)),
        ward=ward,
        lsoa=lsoa,
        start_s=start_s,
        end_s=end_s,
        youth=draw(st.sampled_from([None, None, True, False])),
        cancelled=draw(st.sampled_from([False, False, False, True])),
        lag_s=draw(st.one_of(st.integers(0, HOUR_S), st.integers(0, 90 * 24 * HOUR_S))),
    )


@st.composite
def records(draw: st.DrawFn, era: Era) -> Record:
    kind = draw(st.sampled_from(sorted(KINDS)))
    numbers = draw(st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True))
    return Record(kind, tuple(draw(versions(era, kind, n)) for n in numbers))


@st.composite
def windows(draw: st.DrawFn, era: Era) -> tuple[int, int]:
    shape = draw(st.sampled_from(["hours", "local-days", "clock-change", "month", "wide"]))
    if shape == "hours":
        start = draw(st.integers(era.first_h, era.last_h))
        return start, start + draw(st.integers(1, 72))
    if shape == "local-days":
        first = datetime.fromtimestamp(era.first_h * HOUR_S, UTC).date() + timedelta(
            days=draw(st.integers(0, 26))
        )
        last = first + timedelta(days=draw(st.integers(1, 10)))
        return _local_midnight_h(first), _local_midnight_h(last)
    if shape == "clock-change":  # the 23- or 25-hour local day, give or take some hours
        day = era.clock_change_day
        start = _local_midnight_h(day) + draw(st.integers(-30, 3))
        return start, _local_midnight_h(day + timedelta(days=1)) + draw(st.integers(-3, 30))
    if shape == "month":  # a whole local month, or trimmed by some hours at either end
        month_start, month_end = _local_month_h(*draw(st.sampled_from(era.months)))
        trims = st.sampled_from([0, 0, 1, 23, 24, 25])
        return month_start + draw(trims), month_end - draw(trims)
    start = draw(st.integers(era.first_h - 5 * 24, era.last_h))
    return start, start + draw(st.integers(1, 50 * 24))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    era = draw(st.sampled_from(ERAS))
    drawn = tuple(draw(st.lists(records(era), min_size=1, max_size=8)))
    once = [(r, v) for r, record in enumerate(drawn) for v in range(len(record.versions))]
    again = draw(st.lists(st.sampled_from(once), max_size=6))  # exact redeliveries
    # Any order: a lower version may arrive after a higher one of the same record.
    order = draw(st.permutations(once + again))
    picked = draw(st.lists(windows(era), min_size=1, max_size=4))
    return Scenario(drawn, tuple(order), tuple(picked))


# --- brute-force expectation -------------------------------------------------------------


def survivors(scenario: Scenario) -> list[tuple[str, Version]]:
    """Per record its highest version, unless that version is cancelled."""
    out = []
    for record in scenario.records:
        top = max(record.versions, key=lambda v: v.number)
        if not top.cancelled:
            out.append((record.kind, top))
    return out


def span_hours(version: Version) -> tuple[int, int]:
    """[first, last) whole UTC hours covering the event; an instant occupies its hour."""
    first = version.start_s // HOUR_S
    if version.end_s is None:
        return first, first + 1
    return first, -(-version.end_s // HOUR_S)


def areas_of(version: Version, borough: str) -> dict[str, str]:
    """Level -> area; the LSOA's ward wins over the record's own ward code (which only
    places a record without an LSOA); nothing outside Wirral."""
    ward = AREAS.lsoa_ward.get(version.lsoa or "") or version.ward
    if ward not in AREAS.ward_names:
        return {}
    found = {"borough": borough}
    if ward:
        found["ward"] = ward
    if version.lsoa:
        found["lsoa"] = version.lsoa
    return found


def expected_window(
    events: list[tuple[str, Version]],
    borough: str,
    level: str,
    breakdown: str,
    start: int,
    end: int,
) -> Cells:
    tally: dict[tuple[str, str, str], list[int]] = {}
    for _, version in events:
        area = areas_of(version, borough).get(level)
        if area is None:
            continue
        if breakdown == "youth":
            if version.youth is None:
                continue
            value = "youth" if version.youth else "adult"
        else:
            value = ""
        first, last = span_hours(version)
        cell = tally.setdefault((area, version.category, value), [0, 0])
        if first >= start and last <= end:
            cell[0] += 1
        elif first < end and last > start:
            cell[1] += 1
    return {k: (c, u) for k, (c, u) in tally.items() if c or u}


def expected_counts(events: list[tuple[str, Version]], borough: str) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for _, version in events:
        ward = areas_of(version, borough).get("ward")
        if ward:
            counts[ward, version.category] += 1
    return counts


# --- the worker under test ---------------------------------------------------------------


def _redis(infra: Infra) -> Redis:
    client = Redis.from_url(infra.redis_url)
    assert client.connection_pool.connection_kwargs["port"] != 6379
    return client


@dataclass
class Engine:
    settings: Settings
    reader: StoreReader
    publisher: RawPublisher
    log: Path
    published: Counter[str]  # messages published so far, per source

    def __repr__(self) -> str:  # keeps hypothesis' falsifying-example report short
        return f"Engine({self.settings.redis_prefix!r})"


@pytest.fixture(scope="module")
def engine(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One worker in a namespace of its own, shared by every hypothesis example."""
    root = tmp_path_factory.mktemp("engine-property")
    settings = isolated_settings(infra, new_namespace(), root, partitions=2)
    redis = _redis(infra)
    topics = Topics(settings.topic_prefix)
    try:
        with (
            running_worker(settings, root) as worker,
            RawPublisher(settings.require_kafka(), topics) as publisher,
        ):
            reader = StoreReader.of(redis, settings)
            yield Engine(settings, reader, publisher, worker.log_path, Counter())
    finally:
        redis.close()


def _progress(reader: StoreReader) -> tuple[Counter[str], int]:
    """Messages validated per source (stage 1) and handled by the count stage (stage 2)."""
    validated: Counter[str] = Counter()
    counted = 0
    for name, n in reader.live_snapshot(latest=1).outcomes.items():
        outcome, _, source = name.partition("|")
        if outcome == "validated":
            validated[source] += n
        elif outcome in COUNT_OUTCOMES:
            counted += n
    return validated, counted


def _settle(engine: Engine) -> None:
    """Wait until both stages have handled every message published so far, exactly once."""
    total = sum(engine.published.values())

    def handled() -> bool:
        validated, counted = _progress(engine.reader)
        return counted >= total and all(validated[s] >= n for s, n in engine.published.items())

    wait_for(handled, SETTLE_S, f"{total} messages through both stages", engine.log)
    assert _progress(engine.reader) == (engine.published, total), "a message counted twice"


def _messages(scenario: Scenario, tag: str) -> list[RawMessage]:
    """The scenario's deliveries as raw partner messages (a redelivery: the same bytes)."""
    encoded: dict[tuple[int, int], bytes] = {}
    for r, record in enumerate(scenario.records):
        kind = KINDS[record.kind]
        for v, version in enumerate(record.versions):
            data: dict[str, Any] = {
                "occurred": {
                    "start": _iso(version.start_s),
                    "end": None if version.end_s is None else _iso(version.end_s),
                },
                # never in the future (refused as out of range): weeks late, but not yet
                "received_at": _iso(
                    min((version.end_s or version.start_s) + version.lag_s, int(time.time()))
                ),
                # no point: the scenario's codes alone place it (points: test_boundaries)
                "location": {
                    "ward_code": version.ward,
                    "lsoa_code": version.lsoa,
                    "lat": None,
                    "lon": None,
                },
                "category": version.category,
                "people": {"youth": version.youth},
            }
            if record.kind == "asb":
                data["asb_type"] = ASB_TYPE_OF[version.category]
            event = kind.build(
                record_key=f"prop-{tag}:{record.kind}:{r}",
                version=version.number,
                status="cancelled" if version.cancelled else "active",
                data=data,
            )
            encoded[r, v] = encode(event)
    out, seen = [], set()
    for r, v in scenario.deliveries:
        record = scenario.records[r]
        label: Label = "duplicate" if (r, v) in seen else "new"
        seen.add((r, v))
        key = f"prop-{tag}:{record.kind}:{r}".encode()
        out.append(RawMessage(KINDS[record.kind].source, key, encoded[r, v], label))
    return out


def _window_cells(reader: StoreReader, level: str, start: int, end: int, breakdown: str) -> Cells:
    rows = reader.window(level, start, end, breakdown).rows
    return {(r.area, r.category, r.value): (r.count, r.unplaced) for r in rows}


def _change(before: Cells, after: Cells) -> Cells:
    change = {}
    for cell in before.keys() | after.keys():
        b, a = before.get(cell, (0, 0)), after.get(cell, (0, 0))
        if a != b:
            change[cell] = (a[0] - b[0], a[1] - b[1])
    return change


def _count_cells(reader: StoreReader) -> Counter[tuple[str, str]]:
    return Counter({(r.area, r.category): r.count for r in reader.counts()})


def _describe(scenario: Scenario) -> str:
    lines = []
    for r, record in enumerate(scenario.records):
        lines.append(f"record {r} ({record.kind}):")
        lines += [f"    {v.describe()}" for v in record.versions]
    order = ", ".join(
        f"{r}/v{scenario.records[r].versions[v].number}" for r, v in scenario.deliveries
    )
    lines.append(f"publish order: {order}")
    return "\n".join(lines)


def _classify(scenario: Scenario, events: list[tuple[str, Version]]) -> None:
    """Hypothesis statistics: which situations the examples exercised."""
    seen: dict[int, int] = {}
    for r, v in scenario.deliveries:
        number = scenario.records[r].versions[v].number
        if number < seen.get(r, 0):
            event("a lower version arrived after a higher one")
        seen[r] = max(seen.get(r, 0), number)
    if len(set(scenario.deliveries)) < len(scenario.deliveries):
        event("exact redelivery")
    if any(len(record.versions) > 1 for record in scenario.records):
        event("corrected record")
    if any(max(rec.versions, key=lambda v: v.number).cancelled for rec in scenario.records):
        event("cancelled record")
    if any(span_hours(v)[1] - span_hours(v)[0] > 24 * 28 for _, v in events):
        event("month-long or longer event counted")
    figures = [
        expected_window(events, "E08000015", "ward", "cat", start, end)
        for start, end in scenario.windows
    ]
    if any(c for cells in figures for c, _ in cells.values()):
        event("a window counts an event")
    if any(u for cells in figures for _, u in cells.values()):
        event("a window has an unplaced event")


@pytest.mark.timeout(900)  # only a failure's shrinking (each step through Kafka) needs it
@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_windows_and_counts_equal_a_brute_force_recount(engine: Engine, scenario: Scenario) -> None:
    """Whatever the redeliveries, corrections, cancellations and arrival order, every window
    count, unplaced figure and all-time count equals a recount of each record's last version."""
    note(_describe(scenario))
    reader, (borough,) = engine.reader, AREAS.authority_names
    _settle(engine)  # nothing of an earlier example may still be on its way
    queries = [
        (level, start, end, breakdown)
        for start, end in scenario.windows
        for level in LEVELS
        for breakdown in BREAKDOWNS
    ]
    before = {q: _window_cells(reader, *q) for q in queries}
    counts_before = _count_cells(reader)
    messages = _messages(scenario, uuid.uuid4().hex[:12])
    engine.publisher.publish(messages)
    engine.publisher.flush()
    assert engine.publisher.failed == 0
    engine.published.update(m.source.value for m in messages)
    _settle(engine)

    events = survivors(scenario)
    _classify(scenario, events)
    wrong = []
    for query in queries:
        level, start, end, breakdown = query
        actual = _change(before[query], _window_cells(reader, *query))
        expected = expected_window(events, borough, level, breakdown, start, end)
        if actual != expected:
            wrong.append(
                f"{level}/{breakdown} [{start}, {end}) = "
                f"[{_hour_text(start)}, {_hour_text(end)}): "
                f"expected {sorted(expected.items())}, stored {sorted(actual.items())}"
            )
    counts = _count_cells(reader)
    counts.subtract(counts_before)
    if +counts != expected_counts(events, borough):
        wrong.append(f"all-time: expected {expected_counts(events, borough)}, stored {+counts}")
    assert not wrong, "\n".join(wrong)


# --- two workers versus one --------------------------------------------------------------

SIMULATED = 2000
AGGREGATE_KEY = re.compile(r"(?:g\d+:)?[ax]:")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _aggregates(redis: Redis, prefix: str) -> dict[str, dict[str, str]]:
    """Every total (``a:``) and detail (``x:``) hash of a namespace, named without its prefix."""
    found = {}
    for key in redis.scan_iter(match=f"{prefix}*", count=1000):
        name = key.decode()[len(prefix) :]
        if AGGREGATE_KEY.match(name):
            found[name] = {_text(f): _text(v) for f, v in redis.hgetall(key).items()}
    return found


def _get(settings: Settings, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{settings.worker_web_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def _counted_by(settings: Settings) -> float:
    """Events this worker's count stage handled (from its own /metrics)."""
    _, text = _get(settings, "/metrics")
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("safer_events_total{") and 'stage="count_incidents"' in line
    )


def _difference(one: dict[str, dict[str, str]], two: dict[str, dict[str, str]]) -> str:
    lines = []
    for name in sorted(one.keys() | two.keys()):
        a, b = one.get(name, {}), two.get(name, {})
        for f in sorted(a.keys() | b.keys()):
            if a.get(f) != b.get(f):
                lines.append(f"{name} {f}: one worker {a.get(f)}, two {b.get(f)}")
    return "\n".join(lines[:40])


def test_two_workers_sharing_partitions_store_the_same_aggregates_as_one(
    infra: Infra, tmp_path: Path
) -> None:
    """Two workers splitting a consumer group's partitions leave every aggregate hash exactly
    as one worker leaves it for the same messages."""
    one = isolated_settings(infra, new_namespace(), tmp_path / "one", partitions=4)
    two = isolated_settings(infra, new_namespace(), tmp_path / "two", partitions=4)
    two_b = two.model_copy(update={"worker_web_port": free_port()})
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
    messages = Simulator(load_areas(), seed=20261124).messages(
        SIMULATED, datetime.now(UTC), window=timedelta(hours=12)
    )
    valid = sum(m.label != "malformed" for m in messages)
    redis = _redis(infra)
    readers = [StoreReader.of(redis, s) for s in (one, two)]
    try:
        with (
            running_worker(one, tmp_path / "one", "single") as single,
            running_worker(two, tmp_path / "two", "first") as first,
            running_worker(two_b, tmp_path / "two", "second") as second,
        ):
            wait_for(
                lambda: _get(two, "/ready")[0] == 200 and _get(two_b, "/ready")[0] == 200,
                90,
                "both workers of the shared group ready",
                second.log_path,
            )
            for settings in (one, two):
                with RawPublisher(settings.require_kafka(), Topics(settings.topic_prefix)) as pub:
                    pub.publish(messages)
                    pub.flush()
                    assert pub.failed == 0

            def handled() -> bool:
                return all(
                    sum(p[0].values()) >= valid and p[1] >= valid
                    for p in (_progress(r) for r in readers)
                )

            wait_for(handled, SETTLE_S, "every message through both namespaces", first.log_path)
            # A rebalance may redeliver a message (harmless, idempotent); let any settle.
            deadline = time.monotonic() + 20
            while _aggregates(redis, one.redis_prefix) != _aggregates(redis, two.redis_prefix):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            shares = _counted_by(two), _counted_by(two_b)
            assert [w.alive() for w in (single, first, second)] == [True, True, True]
        alone, shared = _aggregates(redis, one.redis_prefix), _aggregates(redis, two.redis_prefix)
    finally:
        redis.close()
    assert all(n > 0 for n in shares), f"one worker got no work: {shares}"
    assert any(name.startswith(("a:all:", "g0:a:all:")) for name in alone), sorted(alone)[:5]
    assert alone == shared, _difference(alone, shared)
