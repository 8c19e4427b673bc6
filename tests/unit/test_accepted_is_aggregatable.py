"""Whatever validation accepts, the engine can aggregate: the property behind issue 13's table
(each of its rows passed validation, then crashed planning, expiry or the stored state).
Schema-drawn documents (valid ones and near misses) go through ``classify``; every accepted
one is planned, its Redis arguments built, its state stored and read back, in process."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregates.config import AggregationConfig
from aggregates.contributions import expand
from aggregates.inputs import canonical_doc
from safer.geography import load_areas
from schemas.bounds import Bounds
from schemas.events import IncidentEvent
from schemas.export import SCHEMA_DIR
from store.keys import Keys
from store.plan import Planner, Stored, latest_versions, ticker_row
from streams.validation import Rejection, classify
from tests.schema_fuzz import SchemaFuzz

AREAS = load_areas()
PLANNER = Planner(Keys("t:"), AggregationConfig(), AREAS)
_SCHEMA = json.loads((SCHEMA_DIR / "incident-event.v1.schema.json").read_text())
_HINTS = {
    "lsoa_code": st.one_of(st.sampled_from(sorted(AREAS.lsoa_ward)), st.none()),
    "ward_code": st.one_of(st.sampled_from(sorted(AREAS.ward_names)), st.none()),
}
_LONGEST = Bounds().max_interval
_EDGES = st.sampled_from(["1990-01-01T00:00:00Z", "1990-01-01T01:00:00+01:00"])


def _aggregate(event: IncidentEvent) -> None:
    """Plan the event against no state and against its own state, as the worker does, with
    every expiry and ticker row the Lua arguments would carry."""
    doc = canonical_doc(event)
    latest, _ = latest_versions([doc])
    plan = PLANNER.plan(latest, {}, "0")
    for group in plan.changes:
        for key in expand(group):
            PLANNER.expiry(key)
    for (_, _), hour in plan.zsets.items():
        if hour is not None:
            PLANNER.repeat_expiry(hour)
    ticker_row(doc, None)
    (_, _, state) = plan.records[0]
    stored = Stored.parse(state)
    assert stored is not None
    assert stored.version == event.version
    newer = {**doc, "version": doc["version"] + 1} if doc["version"] < 2**63 - 1 else doc
    PLANNER.plan({doc["record_key"]: newer}, {doc["record_key"]: stored}, "0")


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
