"""Helpers to run the real stream worker (``safer worker``) and other ``safer`` commands, and
to read topics in tests."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from cli.stack.procs import Component
from safer.settings import Settings, child_env
from streams.worker import prepare


@contextmanager
def running_worker(settings: Settings, log_dir: Path, name: str = "worker") -> Iterator[Component]:
    """A real worker process for these settings, stopped (and reaped) on exit."""
    prepare(settings)
    worker = Component(
        name,
        [sys.executable, "-m", "cli", "worker"],
        log_dir / f"{name}.log",
        child_env(settings),
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop(settings.shutdown_grace_s)


def produce(settings: Settings, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def read_topic(settings: Settings, topic: str, expect: int, timeout_s: float = 30.0) -> list[bytes]:
    """Every message value of a topic (all partitions, from the beginning)."""
    return [m.value for m in read_records(settings, topic, expect, timeout_s)]


def read_records(
    settings: Settings, topic: str, expect: int, timeout_s: float = 30.0
) -> list[ConsumerRecord]:
    """Every message of a topic (all partitions, from the beginning)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
        consumer_timeout_ms=1000,
    )
    try:
        deadline = time.monotonic() + timeout_s
        parts = consumer.partitions_for_topic(topic) or set()
        while not parts:  # not created yet (a subscriber's topic is made by its feed)
            if time.monotonic() > deadline:
                return []
            time.sleep(0.2)
            parts = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in parts])
        consumer.seek_to_beginning()
        records: list[ConsumerRecord] = []
        while len(records) < expect and time.monotonic() < deadline:
            records.extend(consumer)
        return records
    finally:
        consumer.close()


def wait_for(
    check: Callable[[], bool],
    timeout_s: float,
    what: str,
    log: Path | None = None,
    explain: Callable[[], str] | None = None,
) -> None:
    """Poll ``check`` until true; on timeout fail with ``explain()`` (what differs) and the
    tail of the log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    detail = explain() if explain else ""
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}\n{detail}\n{tail}")


def counter_difference(got: Counter[str], expected: Counter[str]) -> str:
    """The cells whose counts differ, as ``cell: got (expected)``, with both totals."""
    cells = sorted(c for c in set(got) | set(expected) if got[c] != expected[c])
    rows = ", ".join(f"{c}: {got[c]} ({expected[c]})" for c in cells)
    return f"total {sum(got.values())} (expected {sum(expected.values())}); {rows}"


def safer_cli(
    settings: Settings, *args: str, timeout_s: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m cli ARGS`` with these settings; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=child_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
