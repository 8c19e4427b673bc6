"""Later versions of records already published: corrections, cancellations and resends.

Every function returns a validated copy (``revise`` re-runs the contract's validators), so
a correction can never publish an ASB type outside its category or an interval that ends
before it starts. A correction or cancellation has ``version + 1``, a new message id and
``time = now``; ``received_at`` stays the record's own.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel

from feeds.simulator.catalogue import (
    ASB,
    CALLS,
    FIRE,
    FIRE_CAUSE,
    POLICE,
    Category,
    Weighted,
    by_value,
    pick,
    weighted,
)
from feeds.simulator.incidents import AnyEvent, IncidentFactory, message_id
from feeds.simulator.people import asb_profile, call_flags, police_profile
from schemas.categories import ASB_TYPE_CATEGORY, LocationType, RecordStatus
from schemas.events import (
    ControlRoomCall,
    CouncilAsb,
    FireIncident,
    Location,
    Occurrence,
    PoliceCrime,
)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Payload = PoliceCrime | CouncilAsb | ControlRoomCall | FireIncident
Change = Callable[[IncidentFactory, random.Random, Payload], Payload]


def revise(model: M, **changes: object) -> M:
    """A validated copy of a frozen contract model with some fields replaced."""
    return type(model).model_validate({**dict(model), **changes})


def _other(rng: random.Random, table: tuple[Category[T], ...], current: T) -> Category[T]:
    return pick(rng, weighted(tuple(c for c in table if c.value != current)))


def _retyped(rng: random.Random, location: Location, places: Weighted[LocationType]) -> Location:
    return revise(location, location_type=pick(rng, places))


def recategorised(factory: IncidentFactory, rng: random.Random, data: Payload) -> Payload:
    """Another category of the same feed, with people/flags/place type consistent with it."""
    if isinstance(data, PoliceCrime):
        crime = _other(rng, POLICE, data.category)
        people, flags = police_profile(rng, crime.value)
        location = _retyped(rng, data.location, crime.places)
        return revise(data, category=crime.value, people=people, flags=flags, location=location)
    if isinstance(data, CouncilAsb):
        asb = _other(rng, ASB, data.asb_type)
        people, flags = asb_profile(rng, asb.value)
        category = ASB_TYPE_CATEGORY[asb.value]
        return revise(data, asb_type=asb.value, category=category, people=people, flags=flags)
    if isinstance(data, ControlRoomCall):
        call = _other(rng, CALLS, data.category)
        return revise(data, category=call.value, flags=call_flags(rng, call.value))
    fire = _other(rng, FIRE, data.category)
    return revise(data, category=fire.value, cause=pick(rng, FIRE_CAUSE[fire.value]))


def relocated(factory: IncidentFactory, rng: random.Random, data: Payload) -> Payload:
    """The same incident placed in another (hot-spot weighted) LSOA, often another ward."""
    location = data.location
    for _ in range(8):  # hot spots can draw the same LSOA again; a few tries always suffice
        location = _new_location(factory, data)
        if location.lsoa_code != data.location.lsoa_code:
            break
    return revise(data, location=location)


def _new_location(factory: IncidentFactory, data: Payload) -> Location:
    if isinstance(data, PoliceCrime):
        return factory.police_location(by_value(POLICE, data.category))
    return factory.council_location(data.location.location_type or LocationType.OTHER)


def retimed(factory: IncidentFactory, rng: random.Random, data: Payload) -> Payload:
    """The occurrence moved 5–90 minutes earlier (so it stays before receipt)."""
    shift = timedelta(minutes=rng.randint(5, 90))
    end = None if data.occurred.end is None else data.occurred.end - shift
    return revise(data, occurred=Occurrence(start=data.occurred.start - shift, end=end))


CHANGES: tuple[Change, ...] = (recategorised, relocated, retimed)


def corrected(
    factory: IncidentFactory, rng: random.Random, event: AnyEvent, now: datetime
) -> AnyEvent:
    """The next version of ``event`` with one or two of category, location and time changed."""
    data: Payload = event.data
    for change in rng.sample(CHANGES, k=rng.choice((1, 1, 2))):
        data = change(factory, rng, data)
    return revise(event, id=message_id(rng), time=now, version=event.version + 1, data=data)


def cancelled(rng: random.Random, event: AnyEvent, now: datetime) -> AnyEvent:
    """The next version of ``event`` withdrawing the record (``status="cancelled"``)."""
    cancel = RecordStatus.CANCELLED
    return revise(event, id=message_id(rng), time=now, version=event.version + 1, status=cancel)


def resent(rng: random.Random, event: AnyEvent) -> AnyEvent:
    """The same record version under a new message id (a partner re-sending it)."""
    return revise(event, id=message_id(rng))
