"""Rolling the embedded broker: a fresh broker that holds only each partition's tail.

Tansu's memory engine lists every stored record batch of a partition on each fetch and never
frees one, so on a long run fetch latency and the broker's memory grow with the log. When
the broker's RSS passes ``SAFER_BROKER_ROLL_MB`` the supervisor rolls it: every client of the
broker stops (the archiver last, so it drains everything), the broker restarts on the same
port with the same cluster id, and the archive is restored into it with every partition's
records before its new start replaced by placeholders (``bus.archive.restore``) — offsets,
keys, timestamps and group positions unchanged. Then the archiver, the worker (once it has
joined its group) and the producers start again. Nothing is lost or counted twice: the
worker resumes at its committed offsets, which a roll never passes.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psutil

from bus.archive.catalog import Catalog, GroupOffsets
from bus.archive.restore import restore
from cli.stack import embedded
from cli.stack.procs import Component
from safer.errors import StackError
from safer.settings import Settings


def plan_starts(
    ends: Mapping[str, int],
    groups: GroupOffsets,
    keep_records: int,
    current: Mapping[str, int],
) -> dict[str, int]:
    """Per partition, the first offset the rolled broker holds as a real record (pure): the
    last ``keep_records`` records, but never past any group's committed offset there (a
    group reads on from where it was) and never before the current start."""
    starts: dict[str, int] = {}
    for tp, end in ends.items():
        start = max(0, end - keep_records)
        for offsets in groups.values():
            if tp in offsets:
                start = min(start, offsets[tp])
        starts[tp] = min(end, max(start, current.get(tp, 0)))
    return starts


@dataclass(frozen=True, slots=True)
class Rolled:
    seconds: float
    records: int  # in the log
    kept: int  # of which the rolled broker holds as real records


def roll_broker(
    broker: embedded.EmbeddedBroker,
    catalog: Catalog,
    archiver: Component,
    clients: Sequence[Component],
    settings: Settings,
    worker_metrics_url: str,
) -> Rolled:
    """Stop ``clients`` (producers first, the worker last) and the archiver (it drains),
    restart the broker with each partition's tail, start them again (the worker first,
    producers once it has joined its group, so nothing they publish waits for a join)."""
    started = time.monotonic()
    grace = settings.shutdown_grace_s
    for c in clients:
        c.stop(grace)
    archiver.stop(grace)
    ends = catalog.clean_ends() or catalog.positions()
    starts = plan_starts(
        ends, catalog.groups(), settings.broker_keep_records, catalog.broker_starts()
    )
    catalog.save_broker_starts(starts)
    broker.component.stop(grace)
    broker.component.start()
    embedded.wait_broker_ready(broker.bootstrap)
    report = restore(broker.bootstrap, catalog)
    archiver.start()
    for c in sorted(clients, key=lambda c: c.name != "worker"):
        c.start()
        if c.name == "worker":
            wait_worker_ready(worker_metrics_url, 120)
    kept = report.records - sum(starts.values())
    return Rolled(time.monotonic() - started, report.records, kept)


def rss_mb(pid: int | None) -> float:
    """A process's resident memory in MB (0 when it is gone)."""
    try:
        return float(psutil.Process(pid).memory_info().rss) / 2**20 if pid else 0.0
    except psutil.NoSuchProcess:
        return 0.0


def wait_worker_ready(metrics_url: str, timeout_s: float) -> None:
    """Until the worker's ``/ready`` says its partitions are assigned (after a group join)."""
    ready_url = metrics_url.rsplit("/", 1)[0] + "/ready"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as response:  # noqa: S310 - ours
                if json.loads(response.read()).get("ready"):
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise StackError("worker", f"not ready {timeout_s:.0f} s after a broker roll")
