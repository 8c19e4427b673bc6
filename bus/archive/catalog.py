"""What the archive knows besides records: the log's identity, its topics and the consumer
groups' committed positions. Small JSON files, each replaced atomically (write, fsync,
rename, fsync the folder), so a crash leaves either the old or the new version.

Layout under the archive folder (``<state_dir>/log`` by default)::

    identity             the log's cluster id: the restored broker keeps it, so Redis state
                         and the feeds ledger stay paired with the same log
    topics.json          topic -> partitions and configs (cleanup.policy, retention.ms)
    groups.json          group -> "topic|partition" -> committed offset (snapshot)
    positions.json       "topic|partition" -> archived end (a hint for waiting writers,
                         written after the records are fsync'd, so it never over-claims)
    clean.json           present after a clean stop: the ends the archiver drained to
    notes.json           small facts about the log, e.g. the simulated history it holds
    starts.json          "topic|partition" -> the first offset the broker holds as a real
                         record since a roll (before it: placeholders; read the archive)
    topics/<topic>/<partition>/*.seg   the records (``bus.archive.segments``)
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bus.archive.segments import ArchiveError

GroupOffsets = dict[str, dict[str, int]]
"""group -> "topic|partition" -> committed offset (the next record the group reads)."""


@dataclass(frozen=True, slots=True)
class TopicShape:
    partitions: int
    configs: dict[str, str]


@dataclass(frozen=True, slots=True)
class Catalog:
    root: Path

    @property
    def records(self) -> Path:
        return self.root / "topics"

    def partition_folder(self, topic: str, partition: int) -> Path:
        return self.records / topic / str(partition)

    def identity(self) -> str:
        """The log's cluster id, created once (``safer-<12 hex>``)."""
        path = self.root / "identity"
        if path.exists():
            return path.read_text().strip()
        value = f"safer-{uuid.uuid4().hex[:12]}"
        _replace(path, value + "\n")
        return value

    def topics(self) -> dict[str, TopicShape]:
        raw = _load(self.root / "topics.json", {})
        return {
            name: TopicShape(int(v["partitions"]), dict(v.get("configs", {})))
            for name, v in raw.items()
        }

    def save_topics(self, topics: dict[str, TopicShape]) -> None:
        body = {n: {"partitions": t.partitions, "configs": t.configs} for n, t in topics.items()}
        _replace(self.root / "topics.json", json.dumps(body, indent=1, sort_keys=True))

    def groups(self) -> GroupOffsets:
        raw = _load(self.root / "groups.json", {})
        return {group: {tp: int(o) for tp, o in offsets.items()} for group, offsets in raw.items()}

    def save_groups(self, groups: GroupOffsets) -> None:
        _replace(self.root / "groups.json", json.dumps(groups, indent=1, sort_keys=True))

    def positions(self) -> dict[str, int]:
        return {tp: int(end) for tp, end in _load(self.root / "positions.json", {}).items()}

    def save_positions(self, ends: dict[str, int]) -> None:
        _replace(self.root / "positions.json", json.dumps(ends, sort_keys=True), durable=False)

    def note(self, name: str) -> dict[str, str] | None:
        """A small fact kept with the log (``notes.json``), e.g. its simulated history."""
        found = _load(self.root / "notes.json", {}).get(name)
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else None

    def save_note(self, name: str, value: dict[str, str]) -> None:
        notes = _load(self.root / "notes.json", {})
        notes[name] = value
        _replace(self.root / "notes.json", json.dumps(notes, indent=1, sort_keys=True))

    def broker_starts(self) -> dict[str, int]:
        return {tp: int(start) for tp, start in _load(self.root / "starts.json", {}).items()}

    def save_broker_starts(self, starts: dict[str, int]) -> None:
        _replace(self.root / "starts.json", json.dumps(starts, sort_keys=True))

    def wait_for(self, ends: dict[str, int], timeout_s: float) -> None:
        """Block until the archive holds every partition up to ``ends`` (what a writer was
        just acknowledged); ``ArchiveError`` after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            held = self.positions()
            short = {tp: end for tp, end in ends.items() if held.get(tp, 0) < end}
            if not short:
                return
            if time.monotonic() >= deadline:
                tp, end = next(iter(short.items()))
                raise ArchiveError(
                    f"the log archive ({self.root}) holds {tp} only up to {held.get(tp, 0)}, "
                    f"not {end}, after {timeout_s:.0f} s: is `safer archive run` running?"
                )
            time.sleep(0.02)

    def mark_unclean(self) -> None:
        (self.root / "clean.json").unlink(missing_ok=True)
        _fsync_dir(self.root)

    def mark_clean(self, ends: dict[str, int]) -> None:
        _replace(self.root / "clean.json", json.dumps(ends, sort_keys=True))

    def clean_ends(self) -> dict[str, int] | None:
        """The ends of the last clean stop; None after a crash (or before any stop)."""
        raw = _load(self.root / "clean.json", None)
        return None if raw is None else {tp: int(end) for tp, end in raw.items()}

    def holds_records(self) -> bool:
        return self.records.exists() and any(self.records.glob("*/*/*.seg"))


def tp_name(topic: str, partition: int) -> str:
    return f"{topic}|{partition}"


def parse_tp(name: str) -> tuple[str, int]:
    topic, _, partition = name.rpartition("|")
    return topic, int(partition)


def _load(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ArchiveError(f"unreadable archive file {path}: {exc}") from exc


def _replace(path: Path, text: str, durable: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as out:
        out.write(text)
        if durable:
            out.flush()
            os.fsync(out.fileno())
    tmp.replace(path)
    if durable:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
