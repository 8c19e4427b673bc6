"""Builds valid v1 incident events of every kind, as each partner's adapter would publish.

Time semantics (all UTC): ``arrival`` is when the message is published (envelope ``time``);
``received_at`` is a little before it. Police crimes are recorded late: ``occurred`` is an
interval of minutes to hours that ended an hour to three days before receipt. Council ASB
ends minutes to hours before; control-room calls and fire calls are instants minutes or a
minute before. Lagged occurrence times follow each category's daily/weekly rhythm.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict, TypeVar

from feeds.simulator.catalogue import (
    ASB,
    CALLS,
    FIRE,
    FIRE_CAUSE,
    POLICE,
    PROPERTY,
    Category,
    pick,
    weighted,
)
from feeds.simulator.contacts import Contacts
from feeds.simulator.people import asb_profile, call_flags, police_profile
from feeds.simulator.places import Places
from feeds.simulator.rhythms import sample_before, weight_at
from schemas.categories import (
    ASB_TYPE_CATEGORY,
    CallCategory,
    CallChannel,
    CrimeType,
    EventKind,
    FireCategory,
    LocationType,
    PropertyCategory,
    Source,
)
from schemas.events import (
    ControlRoomCall,
    ControlRoomCallEvent,
    CouncilAsb,
    CouncilAsbEvent,
    FireIncident,
    FireIncidentEvent,
    Location,
    Occurrence,
    PoliceCrime,
    PoliceCrimeEvent,
)

AnyEvent = PoliceCrimeEvent | CouncilAsbEvent | ControlRoomCallEvent | FireIncidentEvent
T = TypeVar("T")

DEFAULT_KIND_SHARES: Mapping[EventKind, float] = {
    EventKind.POLICE_CRIME: 0.50,
    EventKind.COUNCIL_ASB: 0.20,
    EventKind.COUNCIL_CALL: 0.15,
    EventKind.FIRE_INCIDENT: 0.15,
}
"""Share of new records per kind: police 50%, council 35% (ASB + calls), fire 15%."""

_OPEN = "under-investigation"
_ASB_LAG = (timedelta(minutes=5), timedelta(hours=4))
_POLICE_LAG_HOURS = ((24, 0.5), (48, 0.3), (72, 0.2))
"""Longest lag (with its probability): windows of a day or more let the rhythm show."""
_CHANNELS = (
    (CallChannel.PHONE, 0.65),
    (CallChannel.PATROL, 0.2),
    (CallChannel.ONLINE, 0.05),
    (CallChannel.CCTV, 0.1),
)
_PRIORITY = {
    CallCategory.CRIME_IN_PROGRESS: 1,
    CallCategory.WELFARE_CONCERN: 2,
    CallCategory.ASB: 2,
    CallCategory.CCTV_OBSERVATION: 2,
}


@dataclass(frozen=True, slots=True)
class Partner:
    """A publishing organisation: envelope ``partner`` slug and record-key prefix."""

    slug: str
    key_prefix: str


@dataclass(frozen=True, slots=True)
class Partners:
    """The partnership's three publishers (defaults: Wirral and Merseyside)."""

    police: Partner = Partner("merseyside-police", "police:merseyside")
    council: Partner = Partner("wirral-council", "council:wirral")
    fire: Partner = Partner("merseyside-fire", "fire:merseyside")


class _Envelope(TypedDict):
    id: str
    partner: str
    time: datetime
    record_key: str
    version: int


def message_id(rng: random.Random) -> str:
    """A uuid4 in hex, drawn from ``rng`` so that seeded runs are reproducible."""
    return uuid.UUID(int=rng.getrandbits(128), version=4).hex


def _seconds(ts: datetime, unit: int) -> datetime:
    """``ts`` truncated to a multiple of ``unit`` seconds (feeds record minutes or seconds)."""
    return ts - timedelta(seconds=ts.timestamp() % unit)


class IncidentFactory:
    """Draws new events of every kind; all state is a few counters (fixed size)."""

    def __init__(
        self,
        rng: random.Random,
        places: Places,
        contacts: Contacts,
        partners: Partners,
        kind_shares: Mapping[EventKind, float] = DEFAULT_KIND_SHARES,
    ) -> None:
        self._rng, self._places, self._contacts, self._partners = rng, places, contacts, partners
        self._kinds = tuple(kind_shares.items())
        self._serial = itertools.count(rng.randrange(100_000, 900_000))
        self._build: dict[EventKind, Callable[[datetime], AnyEvent]] = {
            EventKind.POLICE_CRIME: self.police_crime,
            EventKind.COUNCIL_ASB: self.council_asb,
            EventKind.COUNCIL_CALL: self.council_call,
            EventKind.FIRE_INCIDENT: self.fire_incident,
        }

    def new(self, arrival: datetime) -> AnyEvent:
        """A first version (``version=1``) of a new record of a randomly chosen kind."""
        return self._build[pick(self._rng, self._kinds)](arrival)

    def police_crime(self, arrival: datetime) -> PoliceCrimeEvent:
        rng, category = self._rng, pick(self._rng, weighted(POLICE))
        received = self._received(arrival)
        max_lag = timedelta(hours=pick(rng, _POLICE_LAG_HOURS))
        occurred = self._interval(category, received, (timedelta(hours=1), max_lag), (15, 240))
        end = occurred.end or occurred.start
        people, flags = police_profile(rng, category.value)
        data = PoliceCrime(
            category=category.value,
            occurred=occurred,
            reported_at=_seconds(end + (received - end) * rng.uniform(0.0, 0.5), 1),
            received_at=received,
            location=self.police_location(category),
            people=people,
            flags=flags,
            outcome=None if category.value is CrimeType.ANTI_SOCIAL_BEHAVIOUR else _OPEN,
        )
        key = f"{self._partners.police.key_prefix}:{rng.getrandbits(256):064x}"
        return PoliceCrimeEvent(
            type=EventKind.POLICE_CRIME,
            source=Source.POLICE,
            data=data,
            **self._envelope(self._partners.police, key, arrival),
        )

    def council_asb(self, arrival: datetime) -> CouncilAsbEvent:
        rng, category = self._rng, self._choose(ASB, arrival)
        received = self._received(arrival)
        occurred = self._interval(category, received, _ASB_LAG, (10, 120))
        end = occurred.end or occurred.start
        contact = self._contacts.draw(rng)
        people, flags = asb_profile(rng, category.value)
        data = CouncilAsb(
            category=ASB_TYPE_CATEGORY[category.value],
            asb_type=category.value,
            occurred=occurred,
            reported_at=_seconds(end + (received - end) * rng.uniform(0.2, 0.9), 1),
            received_at=received,
            location=self._places.near_interior(
                rng, contact.lsoa or self._places.lsoa(rng), pick(rng, category.places)
            ),
            people=people,
            flags=flags,
            caller_ref=contact.caller_ref,
            address_ref=contact.address_ref,
        )
        key = f"{self._partners.council.key_prefix}:asb:{next(self._serial)}"
        return CouncilAsbEvent(
            type=EventKind.COUNCIL_ASB,
            source=Source.COUNCIL,
            data=data,
            **self._envelope(self._partners.council, key, arrival),
        )

    def council_call(self, arrival: datetime) -> ControlRoomCallEvent:
        rng, category = self._rng, self._choose(CALLS, arrival)
        received = self._received(arrival)
        cctv = category.value is CallCategory.CCTV_OBSERVATION
        channel = CallChannel.CCTV if cctv else pick(rng, _CHANNELS)
        caller = channel in (CallChannel.PHONE, CallChannel.ONLINE)
        contact = self._contacts.draw(rng, with_caller=caller)
        called = _seconds(received - timedelta(seconds=rng.uniform(60, 480)), 1)
        data = ControlRoomCall(
            category=category.value,
            channel=channel,
            priority=_PRIORITY.get(category.value, rng.choice((3, 4))),
            occurred=Occurrence(start=called),
            reported_at=received,
            received_at=received,
            location=self._places.near_interior(
                rng, contact.lsoa or self._places.lsoa(rng), pick(rng, category.places)
            ),
            flags=call_flags(rng, category.value),
            caller_ref=contact.caller_ref,
            address_ref=contact.address_ref,
        )
        key = f"{self._partners.council.key_prefix}:call:{next(self._serial)}"
        return ControlRoomCallEvent(
            type=EventKind.COUNCIL_CALL,
            source=Source.COUNCIL,
            data=data,
            **self._envelope(self._partners.council, key, arrival),
        )

    def fire_incident(self, arrival: datetime) -> FireIncidentEvent:
        rng, category = self._rng, self._choose(FIRE, arrival)
        received = self._received(arrival)
        call_time = _seconds(received - timedelta(seconds=rng.uniform(30, 90)), 1)
        kind = pick(rng, category.places)
        data = FireIncident(
            category=category.value,
            cause=pick(rng, FIRE_CAUSE[category.value]),
            property_category=self.fire_property(category.value, kind),
            occurred=Occurrence(start=call_time),
            reported_at=call_time,
            received_at=received,
            location=self._places.near_interior(rng, self._places.lsoa(rng), kind),
        )
        key = f"{self._partners.fire.key_prefix}:{next(self._serial)}"
        return FireIncidentEvent(
            type=EventKind.FIRE_INCIDENT,
            source=Source.FIRE,
            data=data,
            **self._envelope(self._partners.fire, key, arrival),
        )

    def police_location(self, category: Category[CrimeType]) -> Location:
        """A police.uk point in a hot-spot weighted LSOA, typed as the category's usual place."""
        lsoa = self._places.lsoa(self._rng)
        return self._places.police(self._rng, lsoa, pick(self._rng, category.places))

    def council_location(self, kind: LocationType) -> Location:
        return self._places.near_interior(self._rng, self._places.lsoa(self._rng), kind)

    def fire_property(self, category: FireCategory, kind: LocationType) -> PropertyCategory:
        """Secondary fires are outdoor by definition; otherwise implied by the place."""
        if category is FireCategory.SECONDARY_FIRE:
            outdoor = ((PropertyCategory.OUTDOOR, 0.75), (PropertyCategory.OUTDOOR_STRUCTURE, 0.25))
            return pick(self._rng, outdoor)
        return PROPERTY.get(kind, PropertyCategory.OTHER)

    def _choose(self, table: Sequence[Category[T]], at: datetime) -> Category[T]:
        """A category weighted by its share and by its rhythm at ``at``."""
        return pick(self._rng, [(c, c.share * weight_at(c.profile, at)) for c in table])

    def _interval(
        self,
        category: Category[T],
        received: datetime,
        lag: tuple[timedelta, timedelta],
        minutes: tuple[int, int],
    ) -> Occurrence:
        """An interval of ``minutes`` whose start follows the category's rhythm and whose
        end lies ``lag`` (min, max) before receipt; minute precision, as partners record."""
        duration = timedelta(minutes=self._rng.randint(*minutes))
        start = sample_before(self._rng, category.profile, received - duration, *lag)
        return Occurrence(start=_seconds(start, 60), end=_seconds(start, 60) + duration)

    def _received(self, arrival: datetime) -> datetime:
        return _seconds(arrival - timedelta(seconds=self._rng.uniform(0.0, 60.0)), 1)

    def _envelope(self, partner: Partner, key: str, arrival: datetime) -> _Envelope:
        return _Envelope(
            id=message_id(self._rng), partner=partner.slug, time=arrival, record_key=key, version=1
        )
