"""The embedded stack's durable log: restore the archive into the fresh broker, then put the
worker and Redis where they match it (``streams.resume``), before anything else starts."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata, TopicPartition
from redis import Redis
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from bus.archive.catalog import Catalog, parse_tp
from bus.archive.restore import RestoreReport, restore
from bus.archive.segments import read
from safer.settings import Settings
from schemas.topics import Topics
from store.keys import Keys
from store.reset import cut_offsets
from store.simulated import (
    SimulatedHistory,
    history_of,
    mark_history,
    read_history,
    stored_offsets,
)
from streams.resume import REVALIDATE_S, Resume, resume_positions
from streams.validate_incidents import STAGE

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Restored:
    report: RestoreReport
    clean: bool  # the archive was drained at a clean stop
    resume: Resume
    rebuilt: bool


def _bar(console: Console) -> Progress:
    columns = (*Progress.get_default_columns()[:2], BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeRemainingColumn(), console=console, transient=False)


def restore_log(settings: Settings, catalog: Catalog, console: Console) -> RestoreReport | None:
    """Replay the archive into the (empty) broker; None when the archive holds nothing."""
    if not catalog.holds_records():
        return None
    with _bar(console) as bar:
        task = bar.add_task("restoring the log from the archive", total=None)
        report = restore(
            settings.require_kafka(),
            catalog,
            lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(
        f"restored {report.records:,} records in {report.partitions} partitions of "
        f"{report.topics} topics in {report.seconds:.1f} s"
    )
    return report


def align_worker(
    settings: Settings, catalog: Catalog, report: RestoreReport, clean: bool, console: Console
) -> Restored:
    """Keep Redis if it matches the restored log, else rebuild it from the canonical topic;
    set the worker group's positions on its raw partitions (``streams.resume``)."""
    topics = Topics(settings.topic_prefix)
    raw = {spec.name for spec in topics.raw_all}
    partitions = [tp for tp in report.ends if parse_tp(tp)[0] in raw]
    keys = Keys(settings.redis_prefix)
    redis = Redis.from_url(settings.require_redis())
    try:
        high_water = {f"{t}|{p}": o for (t, p), o in stored_offsets(redis, keys, STAGE).items()}
        revalidate = None if clean else _revalidate_from(catalog, topics, partitions)
        resume = resume_positions(
            partitions,
            report.groups.get(settings.consumer_group, {}),
            high_water,
            report.ends,
            revalidate,
        )
        if not resume.keep_redis:
            cut_offsets(redis, keys, STAGE, report.ends)
    finally:
        redis.close()
    if not resume.keep_redis:
        console.print(
            f"Redis does not match the restored log on {len(resume.mismatched)} partitions "
            "(a crash, or Redis data lost): rebuilding the aggregates from the canonical topic"
        )
        _rebuild(settings, console)
    floor = catalog.broker_starts()  # never into a rolled broker's placeholders
    _set_group(settings, {tp: max(o, floor.get(tp, 0)) for tp, o in resume.positions.items()})
    return Restored(report, clean, resume, not resume.keep_redis)


def _revalidate_from(catalog: Catalog, topics: Topics, partitions: list[str]) -> dict[str, int]:
    """Per raw partition, the first offset published within ``REVALIDATE_S`` of the newest
    archived canonical record (or later): what a crash may have left without output."""
    canonical = topics.incidents.name
    newest = max(
        (r.timestamp for folder in (catalog.records / canonical).glob("*") for r in read(folder)),
        default=0,
    )
    since = newest - int(REVALIDATE_S * 1000)
    first: dict[str, int] = {}
    for tp in partitions:
        topic, partition = parse_tp(tp)
        for record in read(catalog.partition_folder(topic, partition)):
            if record.timestamp >= since:
                first[tp] = record.offset
                break
    return first


def _rebuild(settings: Settings, console: Console) -> None:
    from streams.rebuild import run_rebuild

    with _bar(console) as bar:
        task = bar.add_task("rebuilding from the canonical topic", total=None)
        run_rebuild(settings, lambda done, total: bar.update(task, completed=done, total=total))


def _set_group(settings: Settings, positions: dict[str, int]) -> None:
    if not positions:
        return
    admin = KafkaAdminClient(bootstrap_servers=settings.require_kafka(), client_id="safer-up")
    try:
        admin.alter_group_offsets(
            settings.consumer_group,
            {
                TopicPartition(*parse_tp(tp)): OffsetAndMetadata(offset, "", -1)
                for tp, offset in positions.items()
            },
        )
    finally:
        admin.close()


HISTORY_NOTE = "simulated_history"


def remember_history(
    settings: Settings, catalog: Catalog, published: SimulatedHistory | None
) -> SimulatedHistory | None:
    """Keep the simulated history's marker with the archived log it describes: saved when a
    first run publishes one; on a restart (which publishes none) read back, and put back in
    Redis if Redis lost it (e.g. its data was removed and the aggregates rebuilt)."""
    if published is not None:
        catalog.save_note(
            HISTORY_NOTE,
            {
                "start": published.start.isoformat(),
                "end": published.end.isoformat(),
                "messages": str(published.messages),
                "rate": repr(published.rate),
            },
        )
        return published
    kept = history_of(catalog.note(HISTORY_NOTE) or {})
    if kept is None:
        return None
    redis = Redis.from_url(settings.require_redis())
    try:
        keys = Keys(settings.redis_prefix)
        if read_history(redis, keys) is None:
            mark_history(redis, keys, kept)
    finally:
        redis.close()
    return kept
