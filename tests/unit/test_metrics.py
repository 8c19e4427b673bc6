"""The worker's metrics container and consumer-lag arithmetic, on fresh registries."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from streams.metrics import EVENT_AGE_BUCKETS_S, LATENCY_BUCKETS_S, WorkerMetrics
from streams.web import read_lags, update_lag


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> WorkerMetrics:
    return WorkerMetrics(registry)


def _families(registry: CollectorRegistry) -> dict[str, tuple[str, set[str]]]:
    """Metric family name -> (type, label names of its samples other than ``le``)."""
    return {
        family.name: (
            family.type,
            {label for s in family.samples for label in s.labels if label != "le"},
        )
        for family in registry.collect()
    }


def test_metric_names_types_and_labels(metrics: WorkerMetrics, registry: CollectorRegistry) -> None:
    """Every metric carries the safer_ prefix, its documented type and only bounded labels."""
    metrics.events("validate_incidents", "police", "validated")
    metrics.dead_lettered("police", "not-json")
    metrics.late("fire")
    metrics.out_of_area("police")
    metrics.observe_latencies("count_incidents", [0.2])
    metrics.observe_event_ages("council", [120.0])
    metrics.set_lag("safer.raw.police", 0, 3)
    metrics.observe_batch_size("validate_incidents", 10)
    assert _families(registry) == {
        "safer_events": ("counter", {"stage", "source", "outcome"}),
        "safer_dead_letters": ("counter", {"source", "reason"}),
        "safer_late_events": ("counter", {"source"}),
        "safer_out_of_area_events": ("counter", {"source"}),
        "safer_processing_latency_seconds": ("histogram", {"stage"}),
        "safer_event_age_seconds": ("histogram", {"source"}),
        "safer_consumer_lag_messages": ("gauge", {"topic", "partition"}),
        "safer_batch_size_events": ("histogram", {"stage"}),
        "safer_ready": ("gauge", set()),
    }


def test_nothing_registered_on_the_global_registry(registry: CollectorRegistry) -> None:
    """Two containers coexist because neither touches prometheus_client's default registry."""
    WorkerMetrics(registry)
    WorkerMetrics(CollectorRegistry())
    assert REGISTRY.get_sample_value("safer_ready") is None


def test_counters_increment_per_label_set(
    metrics: WorkerMetrics, registry: CollectorRegistry
) -> None:
    """events, dead_lettered and late add n to their own label combination only."""
    metrics.events("validate_incidents", "police", "validated")
    metrics.events("validate_incidents", "police", "validated", n=4)
    metrics.events("validate_incidents", "fire", "dead-lettered", n=2)
    metrics.dead_lettered("fire", "invalid", n=2)
    metrics.late("council")
    metrics.late("council", n=0)
    metrics.out_of_area("police", n=3)
    value = registry.get_sample_value
    labels = {"stage": "validate_incidents", "source": "police", "outcome": "validated"}
    assert value("safer_events_total", labels) == 5
    assert value("safer_events_total", {**labels, "source": "fire"}) is None
    assert value("safer_dead_letters_total", {"source": "fire", "reason": "invalid"}) == 2
    assert value("safer_late_events_total", {"source": "council"}) == 1
    assert value("safer_out_of_area_events_total", {"source": "police"}) == 3


def test_latency_histogram_buckets(metrics: WorkerMetrics, registry: CollectorRegistry) -> None:
    """Latencies land in 5 ms … 30 s buckets; a batch is observed event by event."""
    assert LATENCY_BUCKETS_S[0] == 0.005
    assert LATENCY_BUCKETS_S[-1] == 30.0
    metrics.observe_latencies("count_incidents", [0.003])
    metrics.observe_latencies("count_incidents", [0.04, 0.04, 12.0, 45.0])
    value = registry.get_sample_value
    stage = {"stage": "count_incidents"}
    assert value("safer_processing_latency_seconds_count", stage) == 5
    assert value("safer_processing_latency_seconds_bucket", {**stage, "le": "0.005"}) == 1
    assert value("safer_processing_latency_seconds_bucket", {**stage, "le": "0.05"}) == 3
    assert value("safer_processing_latency_seconds_bucket", {**stage, "le": "30.0"}) == 4
    assert value("safer_processing_latency_seconds_bucket", {**stage, "le": "+Inf"}) == 5


def test_event_age_buckets_span_a_minute_to_120_days(
    metrics: WorkerMetrics, registry: CollectorRegistry
) -> None:
    """Event ages from seconds to months are bucketed; a negative age (skew) counts as 0."""
    assert EVENT_AGE_BUCKETS_S[0] == 60.0
    assert EVENT_AGE_BUCKETS_S[-1] == 120 * 86400.0
    metrics.observe_event_ages("police", [-5.0, 90 * 86400.0])
    value = registry.get_sample_value
    police = {"source": "police"}
    assert value("safer_event_age_seconds_bucket", {**police, "le": "60.0"}) == 1
    assert value("safer_event_age_seconds_bucket", {**police, "le": "1.0368e+07"}) == 2
    assert value("safer_event_age_seconds_sum", police) == 90 * 86400.0


def test_batch_size_histogram(metrics: WorkerMetrics, registry: CollectorRegistry) -> None:
    """Each batch's event count is one observation of safer_batch_size_events."""
    metrics.observe_batch_size("validate_incidents", 500)
    metrics.observe_batch_size("validate_incidents", 3)
    value = registry.get_sample_value
    stage = {"stage": "validate_incidents"}
    assert value("safer_batch_size_events_count", stage) == 2
    assert value("safer_batch_size_events_bucket", {**stage, "le": "5.0"}) == 1
    assert value("safer_batch_size_events_sum", stage) == 503


def test_lag_gauge_set_and_replaced(metrics: WorkerMetrics, registry: CollectorRegistry) -> None:
    """set_lag sets one partition; replace_lags drops partitions no longer assigned."""
    metrics.set_lag("raw", 0, 7)
    metrics.set_lag("raw", 1, 2)
    value = registry.get_sample_value
    assert value("safer_consumer_lag_messages", {"topic": "raw", "partition": "0"}) == 7
    metrics.replace_lags({("raw", 1): 0})
    assert value("safer_consumer_lag_messages", {"topic": "raw", "partition": "0"}) is None
    assert value("safer_consumer_lag_messages", {"topic": "raw", "partition": "1"}) == 0


def test_readiness_toggles(metrics: WorkerMetrics, registry: CollectorRegistry) -> None:
    """A new container is not ready; set_ready flips the property and the safer_ready gauge."""
    assert metrics.ready is False
    assert registry.get_sample_value("safer_ready") == 0
    metrics.set_ready(True)
    assert metrics.ready is True
    assert registry.get_sample_value("safer_ready") == 1
    metrics.set_ready(False)
    assert registry.get_sample_value("safer_ready") == 0


def test_exposition_text(metrics: WorkerMetrics, registry: CollectorRegistry) -> None:
    """The text exposition shows the labelled events counter and the readiness gauge."""
    metrics.events("count_incidents", "fire", "duplicate", n=2)
    text = generate_latest(registry).decode()
    sample = 'safer_events_total{outcome="duplicate",source="fire",stage="count_incidents"} 2.0'
    assert sample in text
    assert "# TYPE safer_events_total counter" in text
    assert "safer_ready 0.0" in text


class FakeConsumer:
    """The part of faust's Consumer that lag reading uses."""

    def __init__(
        self,
        assigned: set[TP],
        cached_high: dict[TP, int | None],
        committed: dict[TP, int | None],
    ) -> None:
        self.assigned = assigned
        self.cached_high = cached_high
        self._committed_offset = committed
        self.broker_high = {tp: 50 for tp in assigned}
        self.earliest = {tp: 10 for tp in assigned}

    def assignment(self) -> set[TP]:
        return self.assigned

    def highwater(self, tp: TP) -> int | None:
        return self.cached_high.get(tp)

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.broker_high[tp] for tp in tps}

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.earliest[tp] for tp in tps}


async def test_lag_is_highwater_minus_committed() -> None:
    """Lag = highwater − committed; missing highwater asks the broker, no commit uses earliest."""
    a, b, c = TP("raw", 0), TP("raw", 1), TP("canonical", 0)
    consumer = FakeConsumer({a, b, c}, {a: 20, b: None, c: 30}, {a: 15, b: 45, c: -1})
    assert await read_lags(consumer) == {("raw", 0): 5, ("raw", 1): 5, ("canonical", 0): 20}


async def test_unreadable_lag_is_skipped_not_raised(
    metrics: WorkerMetrics, registry: CollectorRegistry
) -> None:
    """A consumer that fails leaves the gauge as it was and does not raise into the worker."""

    class Broken:
        def assignment(self) -> Any:
            raise RuntimeError("coordinator gone")

    metrics.set_lag("raw", 0, 4)
    app: Any = SimpleNamespace(consumer=Broken())
    assert await update_lag(app, metrics, timeout_s=1.0) is False
    labels = {"topic": "raw", "partition": "0"}
    assert registry.get_sample_value("safer_consumer_lag_messages", labels) == 4
