"""Simulated surges: extra incidents of some categories in one ward for a while, on top of
the simulator's normal traffic (``safer simulate --surge``; for demos and tests of the
alerts).

A surge of multiplier ``m`` adds ``m - 1`` times the incidents the simulator usually
produces in that ward of those incidents at that hour: its rate (messages per second,
scaled by the weekly rhythm) times the share of new records among its messages, times the
share of new records that ``keep`` accepts (sampled once from a separate, seeded stream of
the same partners), times the ward's share of incidents (its LSOAs' hot-spot weights).
Each extra incident is one of the simulator's own records of an accepted kind, moved to a
random point of the ward (an LSOA by hot-spot weight) and reported as it happens — an
instant a few minutes before it is received, as control-room calls and patrol reports are
— so it counts in the current hour, whatever its partner's usual reporting delay.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from feeds.raw import RawMessage
from feeds.simulator.incidents import AnyEvent, IncidentFactory
from feeds.simulator.places import Places
from schemas.categories import LocationType
from schemas.codec import encode_incident
from schemas.events import Occurrence

SAMPLE = 4000
"""New records sampled to measure the share a surge's kind makes of the traffic."""
NEW_SHARE = 0.94
"""Share of the simulator's messages that are new records (``Simulator``'s defaults: 1%
malformed, 2% duplicates, 3% corrections and cancellations)."""


@dataclass(frozen=True, slots=True)
class SurgeSpec:
    ward: str
    group: str
    multiplier: float
    minutes: float


class SurgeFeed:
    """The extra messages of one surge, due as the clock passes (``due``)."""

    def __init__(
        self,
        spec: SurgeSpec,
        keep: Callable[[AnyEvent], bool],
        factory: IncidentFactory,
        places: Places,
        rng: random.Random,
        rate: float,
        intensity: Callable[[datetime], float],
        start: datetime,
    ) -> None:
        self.spec = spec
        self._keep = keep
        self._factory = factory
        self._places = places
        self._rng = rng
        self._rate = rate
        self._intensity = intensity
        self.start = start
        self.end = start + timedelta(minutes=spec.minutes)
        self._last = start
        self._owed = 0.0
        self.sent = 0
        self._lsoas, self._weights = places.in_ward(spec.ward)
        self.kind_share = self._kind_share(start)
        self.ward_share = places.share(spec.ward)

    def _kind_share(self, at: datetime) -> float:
        kept = sum(self._keep(self._factory.new(at)) for _ in range(SAMPLE))
        return kept / SAMPLE

    def usual_per_hour(self, at: datetime) -> float:
        """Incidents of the surge's kind the simulator usually makes in the ward per hour."""
        per_hour = self._rate * 3600 * self._intensity(at) * NEW_SHARE
        return per_hour * self.kind_share * self.ward_share

    @property
    def done(self) -> bool:
        return self._last >= self.end

    def due(self, now: datetime) -> list[RawMessage]:
        """The surge's messages owed between the last call and ``now``."""
        until = min(now, self.end)
        if until <= self._last:
            return []
        hours = (until - self._last).total_seconds() / 3600
        self._owed += (self.spec.multiplier - 1) * self.usual_per_hour(until) * hours
        count = int(self._owed)
        self._owed -= count
        offsets = sorted(self._rng.uniform(0, hours * 3600) for _ in range(count))
        out = [self._message(self._last + timedelta(seconds=s)) for s in offsets]
        self._last = until
        self.sent += len(out)
        return out

    def _message(self, arrival: datetime) -> RawMessage:
        event = self._factory.new(arrival)
        while not self._keep(event):
            event = self._factory.new(arrival)
        moved = self._moved(event, arrival)
        return RawMessage(moved.source, moved.record_key.encode(), encode_incident(moved), "new")

    def _moved(self, event: AnyEvent, arrival: datetime) -> AnyEvent:
        lsoa = self._rng.choices(self._lsoas, weights=self._weights)[0]
        kind = event.data.location.location_type or LocationType.OTHER
        location = self._places.near_interior(self._rng, lsoa, kind)
        happened = (arrival - timedelta(minutes=self._rng.uniform(1, 10))).replace(microsecond=0)
        received = arrival.replace(microsecond=0)
        data = event.data.model_copy(
            update={
                "location": location,
                "occurred": Occurrence(start=happened),
                "reported_at": received,
                "received_at": received,
            }
        )
        return event.model_copy(update={"data": data})
