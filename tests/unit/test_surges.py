"""Simulated surges: the extra incidents are of the surge's kind, in its ward, reported as
they happen, and as many as the multiplier says over its minutes."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from aggregates.inputs import canonical_doc, from_canonical
from cli.simulate import surge_argument
from feeds.simulator.generator import Simulator
from feeds.simulator.incidents import AnyEvent
from feeds.simulator.surges import SurgeSpec
from geography.areas import load_areas
from schemas.codec import decode_incident

BIRKENHEAD = "E05000956"
START = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)  # a Friday evening


def _is_asb(event: AnyEvent) -> bool:
    return event.data.category.startswith("asb") or event.data.category == "anti-social-behaviour"


def test_a_surge_adds_multiplier_minus_one_times_the_usual_in_its_ward() -> None:
    areas = load_areas()
    sim = Simulator(areas, seed=5)
    feed = sim.surge(SurgeSpec(BIRKENHEAD, "asb", 5.0, 60), _is_asb, 0.1, START, seed=6)
    usual = feed.usual_per_hour(START)
    assert 0 < feed.kind_share < 1
    assert 0 < feed.ward_share < 1
    assert usual == pytest.approx(
        0.1 * 3600 * sim.intensity(START) * 0.94 * feed.kind_share * feed.ward_share
    )
    messages = []
    for minute in range(1, 91):  # past the surge's end: nothing more
        messages += feed.due(START + timedelta(minutes=minute))
    assert feed.done
    owed = 4 * sum(feed.usual_per_hour(START + timedelta(minutes=m)) for m in range(1, 61)) / 60
    assert len(messages) == int(owed + 1e-9)  # what was owed minute by minute, whole ones
    for message in messages:
        event = decode_incident(message.value)
        assert _is_asb(event)
        found = from_canonical(canonical_doc(event), areas)
        assert dict(found.areas)["ward"] == BIRKENHEAD
        received = event.data.received_at
        assert START <= received <= START + timedelta(minutes=60)
        assert timedelta(0) < received - event.data.occurred.start <= timedelta(minutes=10)
    assert len({decode_incident(m.value).record_key for m in messages}) == len(messages)


def test_the_surge_argument_is_four_parts() -> None:
    assert surge_argument("Birkenhead and Tranmere:youth-asb:5:60") == SurgeSpec(
        "Birkenhead and Tranmere", "youth-asb", 5.0, 60.0
    )
    for bad in ("E05000956:youth-asb:5", "E05000956:youth-asb:five:60", "E05000956:all:1:60"):
        with pytest.raises(argparse.ArgumentTypeError):
            surge_argument(bad)
