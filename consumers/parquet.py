"""An archive of a topic as Parquet files for BI tools (Power BI, pandas, DuckDB...):
``safer parquet run --topic incidents --out DIR``.

Layout (Hive-style, so a folder reads as one partitioned table)::

    DIR/<topic>/day=YYYY-MM-DD/source=<source>/part-p<partition>-b<block>.parquet

``day`` is the local (UK) day the event began (an aggregate change: its day); ``source``
the partner (an aggregate change: its category's). Each file holds the messages of one
block of ``BLOCK`` offsets of one Kafka partition that fall in that day and source, sorted
by offset. **Idempotent and atomic**: a file is always written whole under a temporary name
and renamed into place, and it always holds exactly the block's messages seen so far — so
a replay (after a crash, or from the beginning) rewrites the same files with the same
rows, never a second copy. Offsets are committed only after the files are in place.

Rows: the envelope, the fields BI needs flat (category, occurred start and end, place),
where the tracker counts the record (``counted_ward``, ``counted_lsoa``, ``counted_borough``:
``aggregates.inputs.record_areas``, the same placing as every dashboard figure) and the
whole payload as JSON. A record appears once per version: keep the highest ``version`` per
``record_key`` and drop ``cancelled`` ones to count as the tracker does.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from aiokafka import AIOKafkaConsumer

from aggregates.inputs import record_areas
from geography.areas import Areas
from safer.settings import Settings
from schemas.calendar import LONDON
from schemas.categories import CATEGORY_SOURCE

log = logging.getLogger(__name__)
BLOCK = 5_000

INCIDENT_COLUMNS = pa.schema(
    [
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("id", pa.string()),
        ("type", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("record_key", pa.string()),
        ("version", pa.int64()),
        ("status", pa.string()),
        ("category", pa.string()),
        ("occurred_start", pa.timestamp("us", tz="UTC")),
        ("occurred_end", pa.timestamp("us", tz="UTC")),
        ("ward_code", pa.string()),
        ("lsoa_code", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("counted_borough", pa.string()),
        ("counted_ward", pa.string()),
        ("counted_lsoa", pa.string()),
        ("data_json", pa.string()),
    ]
)
AGGREGATE_COLUMNS = pa.schema(
    [
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("level", pa.string()),
        ("area", pa.string()),
        ("category", pa.string()),
        ("grain", pa.string()),
        ("bucket", pa.string()),
        ("count", pa.int64()),
        ("version", pa.int64()),
        ("changed_at", pa.timestamp("us", tz="UTC")),
    ]
)


def _time(text: object) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def incident_row(partition: int, offset: int, doc: dict[str, Any], areas: Areas) -> dict[str, Any]:
    """One canonical (or shared) record as a flat row."""
    data = doc.get("data") or {}
    occurred = data.get("occurred") or {}
    location = data.get("location") or {}
    placed = dict(record_areas(location, areas))
    return {
        "partition": partition,
        "offset": offset,
        "id": doc.get("id"),
        "type": doc.get("type"),
        "source": doc.get("source"),
        "time": _time(doc.get("time")),
        "record_key": doc.get("record_key"),
        "version": doc.get("version"),
        "status": doc.get("status", "active"),
        "category": data.get("category"),
        "occurred_start": _time(occurred.get("start")),
        "occurred_end": _time(occurred.get("end")),
        "ward_code": location.get("ward_code"),
        "lsoa_code": location.get("lsoa_code"),
        "lat": location.get("lat"),
        "lon": location.get("lon"),
        "counted_borough": placed.get("borough"),
        "counted_ward": placed.get("ward"),
        "counted_lsoa": placed.get("lsoa"),
        "data_json": orjson.dumps(data).decode(),
    }


def aggregate_row(partition: int, offset: int, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "partition": partition,
        "offset": offset,
        **{k: doc.get(k) for k in ("level", "area", "category", "grain", "bucket", "count")},
        "version": doc.get("version"),
        "changed_at": _time(doc.get("changed_at")),
    }


def _partition_of(row: dict[str, Any], aggregates: bool) -> tuple[str, str]:
    """(day, source) of a row."""
    if aggregates:
        return str(row["bucket"])[:10], CATEGORY_SOURCE.get(str(row["category"]), "all")
    when = row["occurred_start"] or row["time"]
    day = when.astimezone(LONDON).date().isoformat() if when else "unknown"
    return day, str(row["source"] or "unknown")


@dataclass
class ParquetArchive:
    """The Parquet files of one topic under ``root``."""

    root: Path
    topic: str
    areas: Areas
    aggregates: bool = False
    _blocks: dict[tuple[int, int], dict[int, dict[str, Any]]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.root / self.topic

    @property
    def columns(self) -> pa.Schema:
        return AGGREGATE_COLUMNS if self.aggregates else INCIDENT_COLUMNS

    def add(self, records: Iterable[Any]) -> set[tuple[int, int]]:
        """Take a batch of Kafka records; returns the (partition, block)s they touched."""
        touched: set[tuple[int, int]] = set()
        for record in records:
            try:
                doc = orjson.loads(record.value)
            except orjson.JSONDecodeError:
                log.warning("not JSON: not archived", extra={"offset": record.offset})
                continue
            if not isinstance(doc, dict):
                continue
            where = (record.partition, record.offset // BLOCK)
            block = self._block(*where)
            if self.aggregates:
                block[record.offset] = aggregate_row(record.partition, record.offset, doc)
            else:
                block[record.offset] = incident_row(
                    record.partition, record.offset, doc, self.areas
                )
            touched.add(where)
        return touched

    def write(self, touched: Iterable[tuple[int, int]]) -> int:
        """Write every touched block's files whole (atomically); returns files written."""
        written = 0
        for partition, number in sorted(touched):
            groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
            for offset in sorted(self._blocks[(partition, number)]):
                row = self._blocks[(partition, number)][offset]
                groups[_partition_of(row, self.aggregates)].append(row)
            for (day, source), rows in groups.items():
                target = self.folder / f"day={day}" / f"source={source}" / _name(partition, number)
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                table = pa.Table.from_pylist(rows, schema=self.columns)
                pq.write_table(table, tmp)
                with tmp.open("rb") as handle:
                    os.fsync(handle.fileno())
                tmp.replace(target)
                written += 1
            for older in [k for k in self._blocks if k[0] == partition and k[1] < number]:
                del self._blocks[older]  # a partition's offsets only grow: done with it
        return written

    def _block(self, partition: int, number: int) -> dict[int, dict[str, Any]]:
        block = self._blocks.get((partition, number))
        if block is None:  # first touch since start: what its files already hold
            block = self._blocks[(partition, number)] = {}
            for path in self.folder.glob(f"day=*/source=*/{_name(partition, number)}"):
                source = path.parent.name.removeprefix("source=")  # a column of the path
                for row in pq.ParquetFile(path).read().to_pylist():
                    block[int(row["offset"])] = {**row, "source": source}
        return block


def _name(partition: int, number: int) -> str:
    return f"part-p{partition}-b{number}.parquet"


async def run_archive(
    settings: Settings, topic: str, out: Path, areas: Areas, idle_exit_s: float | None = None
) -> int:
    """Archive ``topic`` into ``out`` until cancelled (or, with ``idle_exit_s``, until it
    has been idle that long); returns the messages archived."""
    aggregates = topic.endswith("aggregates.v1")
    archive = ParquetArchive(out, topic, areas, aggregates)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.require_kafka(),
        group_id=f"{settings.consumer_group}.parquet.{topic}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        session_timeout_ms=int(settings.session_timeout_s * 1000),
    )
    await consumer.start()
    archived = 0
    idle_since = asyncio.get_running_loop().time()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            records = [r for part in batch.values() for r in part]
            now = asyncio.get_running_loop().time()
            if not records:
                if idle_exit_s is not None and now - idle_since > idle_exit_s:
                    return archived
                continue
            idle_since = now
            touched = archive.add(records)
            await asyncio.to_thread(archive.write, touched)
            await consumer.commit()
            archived += len(records)
    finally:
        await consumer.stop()
