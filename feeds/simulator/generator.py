"""Realistic synthetic traffic from all three partners over the partnership's real areas.

Pure Python, no network, no sleeping: ``Simulator.messages`` builds a batch for a given
arrival time and ``Simulator.stream`` turns a clock into batches for a live loop (the
caller paces it). A seeded simulator is reproducible: every random draw, message id and
record key comes from one ``random.Random(seed)``.

Labels say what each message is: ``new`` (version 1), ``duplicate`` (an earlier message
redelivered byte for byte, or the same record version under a new message id),
``correction`` / ``cancellation`` (version + 1 of a record published before) and
``malformed`` (must be rejected by the validator). Memory of past messages is bounded.
"""

from __future__ import annotations

import random
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from feeds.raw import Label, RawMessage
from feeds.simulator.catalogue import profile_mix
from feeds.simulator.contacts import Contacts
from feeds.simulator.corrections import cancelled, corrected, resent
from feeds.simulator.incidents import DEFAULT_KIND_SHARES, AnyEvent, IncidentFactory, Partners
from feeds.simulator.malformed import malformed
from feeds.simulator.places import Places
from feeds.simulator.rhythms import weekly_intensity
from feeds.simulator.surges import SurgeFeed, SurgeSpec
from geography.areas import Areas
from geography.police_points import PolicePoint, load_police_points
from schemas.calendar import hour_of_week
from schemas.categories import EventKind, RecordStatus
from schemas.codec import encode_incident

Clock = Callable[[], datetime]
DEFAULT_PARTNERS = Partners()
MEMORY = 2_000
"""Most recent messages and records remembered for duplicates and corrections."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Simulator:
    """Synthetic police, council and fire feeds (see the module docstring for labels)."""

    def __init__(
        self,
        areas: Areas,
        *,
        seed: int | None = None,
        partners: Partners = DEFAULT_PARTNERS,
        kind_shares: Mapping[EventKind, float] = DEFAULT_KIND_SHARES,
        duplicate_share: float = 0.02,
        correction_share: float = 0.03,
        cancellation_fraction: float = 0.2,
        malformed_share: float = 0.01,
        pseudonym_key: bytes | str = b"local-development-only",
        police_points: Mapping[str, tuple[PolicePoint, ...]] | None = None,
    ) -> None:
        """``correction_share`` includes cancellations (``cancellation_fraction`` of it)."""
        self._rng = random.Random(seed)
        points = load_police_points() if police_points is None else police_points
        places = Places(areas, points, self._rng)
        key = pseudonym_key.encode() if isinstance(pseudonym_key, str) else pseudonym_key
        contacts = Contacts(key, places, self._rng)
        self._factory = IncidentFactory(self._rng, places, contacts, partners, kind_shares)
        self._places, self._key, self._partners = places, key, partners
        self._kind_shares = kind_shares
        self._thresholds = _thresholds(malformed_share, duplicate_share, correction_share)
        self._cancellation_fraction = cancellation_fraction
        self._intensity = weekly_intensity(profile_mix(kind_shares))
        self._sent: deque[tuple[RawMessage, AnyEvent]] = deque(maxlen=MEMORY)
        self._records: OrderedDict[str, AnyEvent] = OrderedDict()
        self._owed = 0.0

    def intensity(self, at: datetime) -> float:
        """Relative traffic at this local hour of the week (weekly mean 1)."""
        return self._intensity[hour_of_week(at)]

    def messages(self, n: int, now: datetime, window: timedelta = timedelta(0)) -> list[RawMessage]:
        """``n`` messages arriving in (now - window, now], in arrival order (UTC-aware ``now``)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        span = window.total_seconds()
        offsets = sorted((self._rng.uniform(0.0, span) for _ in range(n)), reverse=True)
        return [self._message(now - timedelta(seconds=offset)) for offset in offsets]

    def stream(
        self, rate: float, clock: Clock = utc_now, *, follow_rhythm: bool = False
    ) -> Iterator[list[RawMessage]]:
        """Each ``next()`` reads the clock and returns the messages due since the last call.

        ``rate`` is messages per second (the weekly mean when ``follow_rhythm``, which
        scales it by ``intensity``). The first batch is empty; the caller does the waiting.
        """
        last = clock()
        yield []
        while True:
            now = clock()
            yield self.due(rate, now - last, now, follow_rhythm=follow_rhythm)
            last = now

    def due(
        self, rate: float, elapsed: timedelta, now: datetime, *, follow_rhythm: bool = False
    ) -> list[RawMessage]:
        """Messages owed for ``elapsed`` at ``rate``; fractions carry over to the next call."""
        factor = self.intensity(now) if follow_rhythm else 1.0
        self._owed += rate * factor * max(elapsed.total_seconds(), 0.0)
        count = int(self._owed)
        self._owed -= count
        return self.messages(count, now, window=elapsed)

    def surge(
        self,
        spec: SurgeSpec,
        keep: Callable[[AnyEvent], bool],
        rate: float,
        start: datetime,
        seed: int | None = None,
    ) -> SurgeFeed:
        """Extra incidents in a ward on top of this traffic at ``rate`` (``surges``), drawn
        from a stream of their own (this one's draws are not disturbed)."""
        rng = random.Random(seed)
        contacts = Contacts(self._key, self._places, rng)
        factory = IncidentFactory(rng, self._places, contacts, self._partners, self._kind_shares)
        return SurgeFeed(spec, keep, factory, self._places, rng, rate, self.intensity, start)

    def _message(self, arrival: datetime) -> RawMessage:
        draw = self._rng.random()
        if draw < self._thresholds[0]:
            return self._malformed(arrival)
        if draw < self._thresholds[1] and self._sent:
            return self._duplicate()
        if draw < self._thresholds[2] and self._records:
            return self._revision(arrival)
        return self._publish(self._factory.new(arrival), "new")

    def _publish(self, event: AnyEvent, label: Label) -> RawMessage:
        message = RawMessage(event.source, event.record_key.encode(), encode_incident(event), label)
        self._sent.append((message, event))
        self._remember(event)
        return message

    def _remember(self, event: AnyEvent) -> None:
        self._records.pop(event.record_key, None)
        if event.status is not RecordStatus.CANCELLED:
            self._records[event.record_key] = event
        while len(self._records) > MEMORY:
            self._records.popitem(last=False)

    def _duplicate(self) -> RawMessage:
        """An earlier message redelivered as is (70%) or re-sent under a new message id."""
        message, event = self._rng.choice(self._sent)
        if self._rng.random() < 0.7:
            return RawMessage(message.source, message.key, message.value, "duplicate")
        again = resent(self._rng, event)
        return RawMessage(event.source, message.key, encode_incident(again), "duplicate")

    def _revision(self, now: datetime) -> RawMessage:
        """The next version of a remembered record: a correction or a cancellation."""
        event = self._rng.choice(list(self._records.values()))
        if self._rng.random() < self._cancellation_fraction:
            return self._publish(cancelled(self._rng, event, now), "cancellation")
        return self._publish(corrected(self._factory, self._rng, event, now), "correction")

    def _malformed(self, arrival: datetime) -> RawMessage:
        event = self._factory.new(arrival)
        value = malformed(self._rng, event)
        return RawMessage(event.source, event.record_key.encode(), value, "malformed")


def _thresholds(
    malformed_share: float, duplicate_share: float, correction_share: float
) -> tuple[float, float, float]:
    """Cumulative label probabilities: malformed, then duplicates, then revisions."""
    first = malformed_share
    return first, first + duplicate_share, first + duplicate_share + correction_share
