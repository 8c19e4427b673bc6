"""The stream worker's Prometheus metrics, in one container built on an injected registry.

Every name starts with ``safer_``, values are in base units (seconds, messages, events),
counters end in ``_total``. Labels are bounded: stage, source, outcome, reason, topic and
partition — never an incident id or anything else that grows with the data.

Nothing here registers with ``prometheus_client``'s global default registry, so a test
(or two workers in one process) can build as many containers as it likes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: Arrival at our raw topic -> visible in Redis: 5 ms ... 30 s.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_MINUTE = 60.0
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
#: Now - event end time at processing: 1 minute ... 120 days (partners backfill late).
EVENT_AGE_BUCKETS_S = (
    _MINUTE,
    5 * _MINUTE,
    15 * _MINUTE,
    _HOUR,
    6 * _HOUR,
    _DAY,
    3 * _DAY,
    7 * _DAY,
    30 * _DAY,
    60 * _DAY,
    120 * _DAY,
)

#: Events per handled batch (``Settings.batch_size`` defaults to 500).
BATCH_SIZE_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500)


class WorkerMetrics:
    """All metrics of one worker process, registered on ``registry``.

    Histogram observations below zero (clock skew between a partner and us) are recorded
    as zero so they stay in the first bucket instead of being lost.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._events = Counter(
            "safer_events_total",
            "Events handled, by stage, partner source and outcome.",
            ["stage", "source", "outcome"],
            registry=registry,
        )
        self._dead_letters = Counter(
            "safer_dead_letters_total",
            "Messages sent to the dead-letter topic, by partner source and reason.",
            ["source", "reason"],
            registry=registry,
        )
        self._late = Counter(
            "safer_late_events_total",
            "Events that arrived after their window's grace period, by partner source.",
            ["source"],
            registry=registry,
        )
        self._out_of_area = Counter(
            "safer_out_of_area_events_total",
            "Events outside the partnership and its comparison area (kept, counted in no area).",
            ["source"],
            registry=registry,
        )
        self._latency = Histogram(
            "safer_processing_latency_seconds",
            "Arrival at our raw topic to visible in Redis, in seconds.",
            ["stage"],
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        )
        self._event_age = Histogram(
            "safer_event_age_seconds",
            "Now minus the event's end time when processed, in seconds.",
            ["source"],
            buckets=EVENT_AGE_BUCKETS_S,
            registry=registry,
        )
        self._lag = Gauge(
            "safer_consumer_lag_messages",
            "Messages not yet committed by this worker, per assigned partition.",
            ["topic", "partition"],
            registry=registry,
        )
        self._batch_size = Histogram(
            "safer_batch_size_events",
            "Events per batch handled by a stream job.",
            ["stage"],
            buckets=BATCH_SIZE_BUCKETS,
            registry=registry,
        )
        self._ready = Gauge(
            "safer_ready",
            "1 when the worker is ready to process events, else 0.",
            registry=registry,
        )
        self._ready_value = False
        self._ready.set(0)

    def events(self, stage: str, source: str, outcome: str, n: int = 1) -> None:
        """Count ``n`` events of ``source`` that ended in ``outcome`` at ``stage``."""
        if n:
            self._events.labels(stage=stage, source=source, outcome=outcome).inc(n)

    def dead_lettered(self, source: str, reason: str, n: int = 1) -> None:
        """Count ``n`` messages of ``source`` dead-lettered for ``reason``."""
        if n:
            self._dead_letters.labels(source=source, reason=reason).inc(n)

    def late(self, source: str, n: int = 1) -> None:
        """Count ``n`` events of ``source`` that arrived too late for their window."""
        if n:
            self._late.labels(source=source).inc(n)

    def out_of_area(self, source: str, n: int = 1) -> None:
        """Count ``n`` events of ``source`` outside the partnership area."""
        if n:
            self._out_of_area.labels(source=source).inc(n)

    def observe_latencies(self, stage: str, seconds: Iterable[float]) -> None:
        """Record the latency of every event of a batch, in seconds."""
        child = self._latency.labels(stage=stage)
        for value in seconds:
            child.observe(max(value, 0.0))

    def observe_event_ages(self, source: str, seconds: Iterable[float]) -> None:
        """Record the ages (now - end time, event time) of a batch's events of ``source``."""
        child = self._event_age.labels(source=source)
        for value in seconds:
            child.observe(max(value, 0.0))

    def observe_batch_size(self, stage: str, events: int) -> None:
        """Record the number of events in one batch handled by ``stage``."""
        self._batch_size.labels(stage=stage).observe(events)

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        """Set the consumer lag (messages) of one assigned partition."""
        self._lag.labels(topic=topic, partition=str(partition)).set(max(lag, 0))

    def replace_lags(self, lags: Mapping[tuple[str, int], int]) -> None:
        """Set the lag of exactly these (topic, partition)s; others (revoked) disappear."""
        self._lag.clear()
        for (topic, partition), lag in lags.items():
            self.set_lag(topic, partition, lag)

    @property
    def ready(self) -> bool:
        """Whether the worker reports itself ready (``GET /ready`` answers 200)."""
        return self._ready_value

    def set_ready(self, value: bool) -> None:
        """Mark the worker ready (True) or not (False); mirrored in ``safer_ready``."""
        self._ready_value = value
        self._ready.set(1 if value else 0)
