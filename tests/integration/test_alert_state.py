"""Alert state in a real redis-server: saved in one transaction, read back after a
restart of its reader (no alert raised twice or forgotten), the outbox emptied only as far
as the broker acknowledged, and the history newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis import Redis

from alerts.events import to_event
from alerts.groups import DEFAULT_GROUPS
from alerts.model import SpikeTest, span_at
from alerts.states import Alert, LifeConfig, step
from safer.settings import Settings
from schemas.alerts import AlertEvent
from store.alert_state import AlertStore
from store.keys import Keys

ALL = next(g for g in DEFAULT_GROUPS if g.slug == "all")
AT = datetime(2026, 11, 27, 22, 10, tzinfo=UTC)


def _test(observed: int, p: float, flagged: bool) -> SpikeTest:
    return SpikeTest("ward", "E05000956", "all", "hour", observed, 3.0, 2.0, 0.05, p, p, flagged)


def _event(alert: Alert) -> AlertEvent:
    hour = span_at("hour", AT)
    return to_event(alert, ALL, "Birkenhead and Tranmere", (hour.start, hour.end), 0.01, 9)


def test_alerts_survive_a_restart_and_the_outbox_waits_for_the_broker(
    settings: Settings, redis_client: Redis
) -> None:
    keys = Keys(settings.redis_prefix)
    store = AlertStore(redis_client, keys)
    life = LifeConfig(resolve_after_s=60)
    raised = step(None, _test(15, 1e-6, True), AT, life)
    assert raised is not None
    store.save([(raised, _event(raised))])

    again = AlertStore(Redis.from_url(settings.require_redis()), keys)  # a restarted worker
    active = again.active()
    assert active == {raised.key: raised}
    same = step(active[raised.key], _test(15, 1e-6, True), AT + timedelta(seconds=5), life)
    assert same == raised  # it knows the alert: no second raise

    updated = step(active[raised.key], _test(18, 1e-7, True), AT + timedelta(seconds=10), life)
    assert updated is not None
    calm = step(updated, _test(18, 0.4, False), AT + timedelta(minutes=5), life)
    assert calm is not None
    resolved = step(calm, _test(18, 0.5, False), AT + timedelta(minutes=7), life)
    assert resolved is not None
    assert resolved.state == "resolved"
    again.save([(updated, _event(updated))])
    again.save([(calm, None)])  # the wait started: state only, no message
    assert again.active()[raised.key].normal_since is not None
    again.save([(resolved, _event(resolved))])
    assert again.active() == {}  # resolved: no longer active

    pending = again.pending()
    assert [AlertEvent.model_validate_json(m).sequence for m in pending] == [1, 2, 3]
    again.sent(2)  # the broker acknowledged the first two
    assert [AlertEvent.model_validate_json(m).sequence for m in again.pending()] == [3]
    history = again.history()
    assert [(e.sequence, e.state.value) for e in history] == [
        (3, "resolved"),
        (2, "updated"),
        (1, "raised"),
    ]
    assert history[0].sentence.startswith("Birkenhead and Tranmere: back within normal")
