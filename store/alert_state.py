"""Where alerts are kept between evaluations, and read (``store.keys``: ``alerts:*``).

An evaluation's changes are written in one transaction: the active alerts (an alert that
resolved leaves the hash), each change's message appended to the outbox and to the log.
The outbox is what still has to reach ``safer.alerts.v1``: the publisher sends it, and
only once the broker has acknowledged it removes what it sent, so a crash between the two
sends a message again (consumers drop a repeated ``(id, sequence)``) and never loses one.
A restart reads the active alerts back, so it neither raises an alert twice nor forgets
one. The log is the alert history the CLI and the dashboard read (capped at
``LOG_LENGTH`` messages; the topic keeps 400 days).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from redis import Redis

from aggregates.unusual import History
from alerts.states import Alert
from schemas.alerts import AlertEvent
from store.keys import Keys

LOG_LENGTH = 50_000
Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """An analyst said they have seen an alert (the first to say so is kept)."""

    by: str
    at: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Status:
    """The last evaluation: when, how many spike tests, and the history behind them."""

    at: str
    tests: int
    covered: int
    needed: int

    @property
    def enough(self) -> bool:
        return History(self.covered, self.needed).enough

    @property
    def text(self) -> str:
        """What a page says when spike alerts cannot be raised yet."""
        return (
            f"Not enough history for spike alerts: they need {self.needed} weeks of the feeds "
            f"before the last 7 days, and {self.covered} are covered."
        )


@dataclass(frozen=True, slots=True)
class AlertSnapshot:
    """What the dashboard shows of alerts, read in one round trip."""

    active: dict[Key, Alert]
    history: list[AlertEvent]
    """The latest messages, newest first."""
    acknowledged: dict[str, Acknowledgement]
    status: Status | None = None


def _field(key: Key) -> str:
    return "|".join(key)


class AlertStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    def active(self) -> dict[Key, Alert]:
        return _alerts(self._redis.hgetall(self._keys.alerts_active))

    def snapshot(self, limit: int = 500) -> AlertSnapshot:
        """The active alerts, the latest ``limit`` messages and the acknowledgements."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(self._keys.alerts_active)
        pipe.xrevrange(self._keys.alerts_log, count=limit)
        pipe.hgetall(self._keys.alerts_acknowledged)
        pipe.hgetall(self._keys.alerts_status)
        active, rows, acks, status = pipe.execute()
        return AlertSnapshot(
            _alerts(active),
            _events(rows),
            {
                (k.decode() if isinstance(k, bytes) else k): Acknowledgement(**json.loads(v))
                for k, v in acks.items()
            },
            _status(status),
        )

    def record_status(self, status: Status) -> None:
        """The last evaluation's (one small hash, written every evaluation)."""
        fields = {name: str(value) for name, value in asdict(status).items()}
        self._redis.hset(self._keys.alerts_status, mapping=cast(Any, fields))

    def acknowledge(self, alert_id: str, by: str, at: str, note: str = "") -> bool:
        """Record that ``by`` has seen the alert; False when someone already had (theirs is
        kept)."""
        body = json.dumps(asdict(Acknowledgement(by, at, note)))
        return bool(self._redis.hsetnx(self._keys.alerts_acknowledged, alert_id, body))

    def save(self, changes: Sequence[tuple[Alert, AlertEvent | None]]) -> None:
        """Store alerts after an evaluation, each with its message when it has one (an
        alert whose wait for normal started has none), in one transaction."""
        if not changes:
            return
        pipe = self._redis.pipeline(transaction=True)
        for alert, event in changes:
            if alert.active:
                pipe.hset(self._keys.alerts_active, _field(alert.key), json.dumps(asdict(alert)))
            else:
                pipe.hdel(self._keys.alerts_active, _field(alert.key))
            if event is not None:
                body = event.model_dump_json()
                pipe.rpush(self._keys.alerts_outbox, body)
                pipe.xadd(self._keys.alerts_log, {"e": body}, maxlen=LOG_LENGTH, approximate=True)
        pipe.execute()

    def pending(self, limit: int = 500) -> list[bytes]:
        """The oldest messages not yet acknowledged by the broker."""
        return cast(list[bytes], self._redis.lrange(self._keys.alerts_outbox, 0, limit - 1))

    def sent(self, count: int) -> None:
        """The first ``count`` pending messages are on the topic."""
        self._redis.ltrim(self._keys.alerts_outbox, count, -1)

    def history(self, limit: int = 200) -> list[AlertEvent]:
        """The latest messages, newest first."""
        return _events(self._redis.xrevrange(self._keys.alerts_log, count=limit))


def _alerts(raw: Mapping[bytes | str, bytes | str]) -> dict[Key, Alert]:
    found: dict[Key, Alert] = {}
    for value in raw.values():
        alert = Alert(**json.loads(value))
        found[alert.key] = alert
    return found


def _status(raw: Mapping[bytes | str, bytes | str]) -> Status | None:
    found = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }
    try:
        return Status(found["at"], int(found["tests"]), int(found["covered"]), int(found["needed"]))
    except (KeyError, ValueError):
        return None


def _events(raw: object) -> list[AlertEvent]:
    rows = cast(list[tuple[bytes, dict[bytes, bytes]]], raw)
    return [AlertEvent.model_validate_json(fields[b"e"]) for _, fields in rows]
