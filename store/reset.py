"""Pairs derived Redis state with the Kafka log it was built from.

The embedded broker keeps its log in memory, so each run is a new, empty log with a new
cluster id. Aggregates or offset markers left by an earlier run would then be paired with
the wrong log: when the stamp differs, every key of the deployment is removed and the
stamp is set, atomically with respect to other workers doing the same check.
"""

from __future__ import annotations

import logging

from redis import Redis, WatchError

from store.keys import Keys
from store.simulated import stored_offsets

log = logging.getLogger(__name__)


def pair_with_log(redis: Redis, keys: Keys, log_identity: str) -> bool:
    """Reset derived state if it was built from another log; True when state was removed."""
    while True:
        with redis.pipeline() as pipe:
            try:
                pipe.watch(keys.broker_stamp)  # type: ignore[no-untyped-call]  # untyped in redis-py
                raw = pipe.get(keys.broker_stamp)
                stamp = raw.decode() if isinstance(raw, bytes) else raw
                if stamp == log_identity:
                    return False
                stale = list(pipe.scan_iter(match=keys.pattern, count=1000))
                pipe.multi()
                for start in range(0, len(stale), 500):
                    pipe.unlink(*stale[start : start + 500])
                pipe.set(keys.broker_stamp, log_identity)
                pipe.execute()
            except WatchError:
                continue
        if stamp is None and not stale:
            log.info("fresh state paired with the Kafka log", extra={"log": log_identity})
            return False
        log.warning(
            "derived state reset for a new Kafka log",
            extra={
                "previous": stamp,
                "log": log_identity,
                "keys": len(stale),
            },
        )
        return True


def cut_offsets(redis: Redis, keys: Keys, stage: str, ends: dict[str, int]) -> None:
    """Cut a stage's stored offsets to a restored log's ends (``topic|partition`` -> end),
    so messages the restored log numbers anew are not taken for replays."""
    stored = {f"{t}|{p}": mark for (t, p), mark in stored_offsets(redis, keys, stage).items()}
    cut = {tp: ends[tp] - 1 for tp, mark in stored.items() if tp in ends and mark >= ends[tp]}
    if cut:
        redis.hset(keys.offsets(stage), mapping=cut)  # type: ignore[arg-type]
