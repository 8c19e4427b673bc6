"""Whatever validation accepts, the engine can aggregate: the property behind issue 13's table
(each of its rows passed validation, then crashed planning, expiry or the stored state).
Schema-drawn documents (valid ones and near misses) go through ``classify``; every accepted
one is planned, its Redis arguments built, its state stored and read back, in process."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from aggregates.config import AggregationConfig
from aggregates.inputs import canonical_doc
from geography.areas import load_areas
from schemas.bounds import Bounds
from schemas.events import IncidentEvent
from schemas.export import SCHEMA_DIR
from store.keys import Keys
from store.plan import Stored, latest_versions
from store.writer import AggregateWriter
from streams.validation import Rejection, classify
from tests.builders import encode
from tests.integration.test_hostile_input import TABLE
from tests.schema_fuzz import SchemaFuzz

AREAS = load_areas()
WRITER = AggregateWriter(Redis(), Keys("t:"), AggregationConfig(), AREAS, 200)
"""Never connects: only its planner and its Lua arguments are used."""
_SCHEMA = json.loads((SCHEMA_DIR / "incident-event.v1.schema.json").read_text())
_HINTS = {
    "lsoa_code": st.one_of(st.sampled_from(sorted(AREAS.lsoa_ward)), st.none()),
    "ward_code": st.one_of(st.sampled_from(sorted(AREAS.ward_names)), st.none()),
}
_LONGEST = Bounds().max_interval
_EDGES = st.sampled_from(["1990-01-01T00:00:00Z", "1990-01-01T01:00:00+01:00"])


def _aggregate(event: IncidentEvent) -> None:
    """Plan the event against no state and against its own state, as the worker does, and
    build the Lua call's arguments (every expiry and ticker row) with the writer's own code."""
    doc = canonical_doc(event)
    latest, _ = latest_versions([doc])
    plan = WRITER._planner.plan(latest, {}, "0")
    WRITER._arguments(plan, live=True)
    (_, _, state) = plan.records[0]
    stored = Stored.parse(state)
    assert stored is not None
    assert stored.version == event.version
    newer = {**doc, "version": doc["version"] + 1} if doc["version"] < 2**63 - 1 else doc
    again = WRITER._planner.plan({doc["record_key"]: newer}, {doc["record_key"]: stored}, "0")
    WRITER._arguments(again, live=True)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
@given(SchemaFuzz(_SCHEMA, _HINTS).documents())
def test_every_accepted_event_can_be_aggregated(doc: object) -> None:
    """A schema-drawn document that classify accepts plans, expires and round-trips its state
    without an exception."""
    key = doc.get("record_key") if isinstance(doc, dict) else None
    kafka_key = key.encode() if isinstance(key, str) else None
    result = classify(kafka_key, json.dumps(doc).encode(), None)
    if not isinstance(result, Rejection):
        _aggregate(result)


@settings(max_examples=200, deadline=None)
@given(
    start=_EDGES,
    length=st.timedeltas(min_value=timedelta(seconds=1), max_value=_LONGEST),
    version=st.sampled_from([1, 2**63 - 2, 2**63 - 1]),
)
def test_events_at_the_bounds_can_be_aggregated(
    start: str, length: timedelta, version: int
) -> None:
    """The earliest time, the longest interval and the largest version together still plan
    (the bounds leave the engine's arithmetic room)."""
    from datetime import datetime

    from schemas.codec import decode_incident
    from tests.builders import encode, make_police_incident

    begin = datetime.fromisoformat(start.replace("Z", "+00:00"))
    event = make_police_incident(
        version=version,
        data={"occurred": {"start": begin.isoformat(), "end": (begin + length).isoformat()}},
    )
    _aggregate(decode_incident(encode(event)))


@pytest.mark.parametrize(("name", "build"), [(name, build) for name, build, _ in TABLE])
def test_issue_table_inputs_are_refused_or_aggregate(name: str, build: Callable[[], Any]) -> None:
    """Each input that once stopped the worker is refused, or (were a bound relaxed) still
    aggregates: the table's year-1 and year-9999 times fail the engine's arithmetic."""
    event = build()
    result = classify(str(event["record_key"]).encode(), encode(event), None)
    if not isinstance(result, Rejection):
        _aggregate(result)
