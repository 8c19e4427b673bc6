"""Schema compatibility: may a released contract change without a new major version?

Every model is a closed content model (``additionalProperties: false``): a reader refuses
what its schema does not name. So a change is **backward**-compatible (new readers read old
messages) only if it refuses nothing the old schema accepted, and **forward**-compatible
(old readers read new messages) only if it accepts nothing the old one refused. Both at
once — what a topic with readers of several versions needs — leave the set of valid
messages as it was: wording (``description``, ``title``, ``examples``) may change, nothing
that validates may. ``changes`` names every difference that breaks either direction, in
words a person can act on ("IncidentEvent.data: property 'x' added — old readers refuse
it"); an empty list means compatible.

The released schemas live in ``schemas/json/released/`` (``safer schemas release`` copies
the current ones there); a schema whose topic gets a new major version (``.v2``) leaves its
``.v1`` release in place, and the check compares like versions only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.export import SCHEMA_DIR, rendered

RELEASED_DIR = SCHEMA_DIR / "released"
WORDING = frozenset({"description", "title", "examples", "$comment"})
_VERSIONED = re.compile(r"^(?P<stem>.+)\.v(?P<major>\d+)\.schema\.json$")


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every validation-relevant difference between two exported schemas."""
    walk = _Walk(old, new)
    walk.compare(old, new, "")
    return walk.found


@dataclass
class _Walk:
    """One comparison: both documents (for their ``$defs``), what was found, and the pairs
    of definitions already compared (recursive models)."""

    old_root: dict[str, Any]
    new_root: dict[str, Any]
    found: list[str] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def compare(self, old: Any, new: Any, where: str) -> None:
        old, old_name = _resolve(old, self.old_root)
        new, new_name = _resolve(new, self.new_root)
        if old_name and new_name:
            if (old_name, new_name) in self.seen:
                return
            self.seen.add((old_name, new_name))
        place = where or "<root>"
        if not (isinstance(old, dict) and isinstance(new, dict)):
            if old != new:
                self.found.append(f"{place}: {old!r} became {new!r}")
            return
        if "properties" in old or "properties" in new:
            self._properties(old, new, where)
        if "enum" in old or "enum" in new:
            removed = [v for v in old.get("enum", []) if v not in new.get("enum", [])]
            added = [v for v in new.get("enum", []) if v not in old.get("enum", [])]
            if removed:
                self.found.append(f"{place}: values {removed} removed — old messages are refused")
            if added:
                self.found.append(f"{place}: values {added} added — old readers refuse them")
        for key in ("anyOf", "oneOf", "allOf"):
            a, b = old.get(key), new.get(key)
            if a is None and b is None:
                continue
            if a is None or b is None or len(a) != len(b):
                self.found.append(f"{place}: {key} changed from {_count(a)} to {_count(b)} choices")
                continue
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                self.compare(x, y, f"{where}[{key} {i}]")
        if "items" in old or "items" in new:
            self.compare(old.get("items"), new.get("items"), f"{where}[]")
        structural = {"properties", "required", "enum", "anyOf", "oneOf", "allOf", "items", "$defs"}
        for key in sorted((set(old) | set(new)) - WORDING - structural):
            if old.get(key) != new.get(key):
                self.found.append(f"{place}: {key} {old.get(key)!r} became {new.get(key)!r}")

    def _properties(self, old: dict[str, Any], new: dict[str, Any], where: str) -> None:
        place = where or "<root>"
        a, b = old.get("properties", {}), new.get("properties", {})
        found = self.found
        for name in sorted(set(a) - set(b)):
            found.append(
                f"{place}: property {name!r} removed — old messages holding it are refused"
            )
        for name in sorted(set(b) - set(a)):
            found.append(
                f"{place}: property {name!r} added — old readers refuse messages holding it"
            )
        required_a, required_b = set(old.get("required", [])), set(new.get("required", []))
        for name in sorted(required_b - required_a):
            found.append(f"{place}: {name!r} now required — old messages without it are refused")
        for name in sorted(required_a - required_b):
            found.append(f"{place}: {name!r} now optional — old readers refuse messages without it")
        for name in sorted(set(a) & set(b)):
            self.compare(a[name], b[name], f"{where}.{name}" if where else name)


def _resolve(node: Any, root: dict[str, Any]) -> tuple[Any, str | None]:
    if isinstance(node, dict) and "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        return root.get("$defs", {}).get(name, {}), name
    return node, None


def _count(choices: list[Any] | None) -> int:
    return 0 if choices is None else len(choices)


def release_problems(released: Path = RELEASED_DIR) -> list[str]:
    """What stops the current schemas from standing in for the released ones: a release
    changed incompatibly without a new major version, removed, or a schema never released."""
    current = {name: json.loads(text) for name, text in rendered().items()}
    problems: list[str] = []
    released_names = (
        {p.name for p in released.glob("*.schema.json")} if released.is_dir() else set()
    )
    for name in sorted(released_names):
        old = json.loads((released / name).read_text())
        if name in current:
            problems += [f"{name}: {c}" for c in changes(old, current[name])]
        elif not _bumped(name, current):
            problems.append(f"{name}: released, but no longer exported (nor a newer major)")
    for name in sorted(set(current) - released_names):
        problems.append(f"{name}: not released yet (run `safer schemas release`)")
    return problems


def _bumped(name: str, current: dict[str, Any]) -> bool:
    """Whether a newer major version of the released ``name`` is exported."""
    match = _VERSIONED.match(name)
    if match is None:
        return False
    stem, major = match["stem"], int(match["major"])
    return any(
        (m := _VERSIONED.match(other)) is not None and m["stem"] == stem and int(m["major"]) > major
        for other in current
    )


def release(released: Path = RELEASED_DIR) -> list[Path]:
    """Copy the current schemas to the release folder: new ones, and released ones whose
    change is compatible (wording). An incompatible change is refused (``ValueError``)."""
    released.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        target = released / name
        if target.exists():
            broken = changes(json.loads(target.read_text()), json.loads(text))
            if broken:
                raise ValueError(f"{name}: {broken[0]} — give the topic a new major version")
            if target.read_text() == text:
                continue
        target.write_text(text)
        written.append(target)
    return written
