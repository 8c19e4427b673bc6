"""What the stream jobs share: one ``JobContext``, built by ``streams.app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safer.settings import Settings
from schemas.bounds import Bounds
from schemas.topics import Topics
from store.writer import AggregateWriter
from streams.metrics import WorkerMetrics


@dataclass(frozen=True, slots=True)
class JobContext:
    """What every job needs: its source topic, the producer for the topics it writes (created
    beforehand by ``bus.admin``), the Redis writer, the metrics and the settings."""

    raw: Any
    producer: Any
    topics: Topics
    writer: AggregateWriter
    metrics: WorkerMetrics
    settings: Settings
    bounds: Bounds  # the contract's bounds the raw messages are validated within
