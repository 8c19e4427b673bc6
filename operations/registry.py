"""Where operations are kept: one JSON file per operation in the state folder
(``<state_dir>/operations/<slug>.json``), every saved version in it, never overwritten in
place (written to a temporary file, fsync'd and renamed, under a lock), so the history of
edits is kept and shown.

An operation entered by mistake or called off is **withdrawn**: a last version marked so
(the history kept); it is counted no more, and saving it again restores it.

A **snapshot** is the latest version of every operation, with a digest: a generation of
aggregates records the snapshot it counts (``store.keys``: ``ops``), and the worker
back-fills a new generation when the registry's digest differs from the live one's.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geography.areas import Areas
from operations.spec import OperationError, OperationSpec, parse_operation
from operations.zones import Operations, ResolvedOperation, resolve

FOLDER = "operations"
EMPTY_DIGEST = "none"


@dataclass(frozen=True, slots=True)
class Version:
    """One saved version of an operation: its TOML and the GeoJSON files it names."""

    slug: str
    version: int
    saved_at: str  # UTC ISO 8601
    by: str
    toml: str
    files: dict[str, str] = field(default_factory=dict)
    note: str = ""
    withdrawn: bool = False

    @property
    def spec(self) -> OperationSpec:
        return parse_operation(self.toml, f"{self.slug} version {self.version}")

    def resolved(self, areas: Areas) -> ResolvedOperation:
        return resolve(self.spec, areas, self.files, self.version)

    def fingerprint(self) -> str:
        body = json.dumps([self.slug, self.version, self.toml, self.files], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Version:
        return cls(
            slug=str(data["slug"]),
            version=int(data["version"]),
            saved_at=str(data["saved_at"]),
            by=str(data.get("by", "")),
            toml=str(data["toml"]),
            files={str(k): str(v) for k, v in dict(data.get("files") or {}).items()},
            note=str(data.get("note", "")),
            withdrawn=bool(data.get("withdrawn", False)),
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The latest version of every operation, and their digest."""

    versions: tuple[Version, ...] = ()

    @property
    def digest(self) -> str:
        if not self.versions:
            return EMPTY_DIGEST
        prints = sorted(v.fingerprint() for v in self.versions)
        return hashlib.sha256("".join(prints).encode()).hexdigest()[:16]

    def encode(self) -> str:
        return json.dumps(
            {"digest": self.digest, "operations": [asdict(v) for v in self.versions]},
            sort_keys=True,
        )

    @classmethod
    def decode(cls, text: str | bytes | None) -> Snapshot:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(tuple(Version.of(v) for v in data.get("operations", ())))

    def operations(self, areas: Areas) -> Operations:
        """The resolved operations (zones built); each version was checked when saved."""
        return Operations(tuple(v.resolved(areas) for v in self.versions), self.digest)


def digest_of(text: str | bytes | None) -> str:
    """The digest a snapshot's encoding records (without resolving anything)."""
    if not text:
        return EMPTY_DIGEST
    return str(json.loads(text).get("digest", EMPTY_DIGEST))


class Registry:
    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / FOLDER

    def slugs(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def versions(self, slug: str) -> list[Version]:
        """Every saved version of an operation, oldest first ([] when there is none)."""
        path = self.folder / f"{slug}.json"
        if not path.exists():
            return []
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Version.of(v) for v in data.get("versions", ())]

    def latest(self, slug: str) -> Version | None:
        found = self.versions(slug)
        return found[-1] if found else None

    def snapshot(self) -> Snapshot:
        """The operations to count: the latest version of each, the withdrawn left out."""
        found = [self.latest(slug) for slug in self.slugs()]
        return Snapshot(tuple(v for v in found if v is not None and not v.withdrawn))

    def withdraw(self, slug: str, by: str = "", note: str = "") -> Version:
        """Mark an operation withdrawn (a new version; ``OperationError`` when there is no
        such operation or it is withdrawn already)."""
        with self._locked():
            versions = self.versions(slug)
            if not versions:
                raise OperationError(f"no operation {slug!r}")
            last = versions[-1]
            if last.withdrawn:
                raise OperationError(f"{slug} is withdrawn already (version {last.version})")
            return self._append(versions, slug, last.toml, last.files, by, note, withdrawn=True)

    def save(
        self,
        toml: str,
        areas: Areas,
        files: Mapping[str, str] | None = None,
        by: str = "",
        note: str = "",
        origin: str = "operation file",
        expect_new: bool = False,
    ) -> Version:
        """Check an operation (``OperationError`` when it is bad) and save it as the next
        version of its slug. Saving what the latest version already is saves nothing and
        returns it. ``expect_new``: refuse a slug that exists (a form creating one)."""
        spec = parse_operation(toml, origin)
        given = dict(files or {})
        missing = [name for name in spec.files if name not in given]
        if missing:
            raise OperationError(f"{origin}: geojson file {missing[0]} was not given")
        kept = {name: given[name] for name in spec.files}
        try:
            resolve(spec, areas, kept)
        except OperationError as exc:
            raise OperationError(f"{origin}: {exc}") from None
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._locked():
            versions = self.versions(spec.slug)
            if versions and expect_new:
                raise OperationError(f"{origin}: slug: an operation {spec.slug!r} exists already")
            last = versions[-1] if versions else None
            if last and not last.withdrawn and last.toml == toml and last.files == kept:
                return last
            return self._append(versions, spec.slug, toml, kept, by, note)

    def _append(
        self,
        versions: list[Version],
        slug: str,
        toml: str,
        files: dict[str, str],
        by: str,
        note: str,
        withdrawn: bool = False,
    ) -> Version:
        """Save the next version after ``versions`` (under the lock)."""
        version = Version(
            slug=slug,
            version=len(versions) + 1,
            saved_at=datetime.now(UTC).isoformat(timespec="seconds"),
            by=by,
            toml=toml,
            files=files,
            note=note,
            withdrawn=withdrawn,
        )
        self._write(slug, [*versions, version])
        return version

    def _write(self, slug: str, versions: list[Version]) -> None:
        path = self.folder / f"{slug}.json"
        temporary = path.with_suffix(".json.tmp")
        body = json.dumps({"slug": slug, "versions": [asdict(v) for v in versions]}, indent=1)
        with temporary.open("w", encoding="utf-8") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(path)
        directory = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def read_files(toml_path: Path) -> dict[str, str]:
    """The GeoJSON files an operation file names, read relative to its folder."""
    spec = parse_operation(toml_path.read_text(encoding="utf-8"), toml_path.name)
    found: dict[str, str] = {}
    for name in spec.files:
        path = (toml_path.parent / name).resolve()
        if not path.is_file():
            raise OperationError(f"{toml_path.name}: geojson file {name} was not found")
        found[name] = path.read_text(encoding="utf-8-sig")
    return found
