"""What the log holds besides real input: the simulated history a first run published, and
how far the worker has stored a stage (what a publisher waits on before going on).

The marker (``Keys.simulated_history``) is set by whoever publishes a history
(``cli.stack.history``) once its messages are acknowledged, and read by ``safer status``
and the dashboard's freshness banner. It lives beside the broker stamp, so it is removed
with the rest of the derived state when Redis is paired with another log
(``store.reset``): a marker always describes the log it sits beside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis

from store.keys import CELL_SEP, Keys
from store.replies import int_map, text


@dataclass(frozen=True, slots=True)
class SimulatedHistory:
    """Simulated messages published with arrival times in [start, end) (UTC-aware)."""

    start: datetime
    end: datetime
    messages: int
    rate: float


def mark_history(redis: Redis, keys: Keys, history: SimulatedHistory) -> None:
    """Record that the log holds this simulated history (replaces an earlier marker)."""
    fields = {
        "start": history.start.isoformat(),
        "end": history.end.isoformat(),
        "messages": str(history.messages),
        "rate": repr(history.rate),
    }
    redis.hset(keys.simulated_history, mapping=fields)  # type: ignore[arg-type]  # redis-py wants its own key union (Mapping keys are invariant)


def read_history(redis: Redis, keys: Keys) -> SimulatedHistory | None:
    """The simulated history the log holds, or None (none, or a marker it cannot read)."""
    return history_of(redis.hgetall(keys.simulated_history))


def history_of(raw: Mapping[Any, Any]) -> SimulatedHistory | None:
    """A marker hash as read (HGETALL, e.g. inside a pipeline), parsed totally."""
    fields = {text(name): text(value) for name, value in raw.items()}
    try:
        history = SimulatedHistory(
            datetime.fromisoformat(fields["start"]),
            datetime.fromisoformat(fields["end"]),
            int(fields["messages"]),
            float(fields["rate"]),
        )
    except (KeyError, ValueError):
        return None
    aware = history.start.tzinfo is not None and history.end.tzinfo is not None
    return history if aware else None


def stored_offsets(redis: Redis, keys: Keys, stage: str) -> dict[tuple[str, int], int]:
    """Per (topic, partition): the highest offset whose effects ``stage`` has stored."""
    stored: dict[tuple[str, int], int] = {}
    for name, value in int_map(redis.hgetall(keys.offsets(stage))).items():
        topic, _, partition = name.rpartition(CELL_SEP)
        if partition.isdigit():
            stored[topic, int(partition)] = value
    return stored
