"""Schema compatibility with the released versions: the current contract is compatible
with what was released; a breaking change — a field added or removed, a value added, a
field made required — fails the check unless the topic's major version is bumped; wording
may change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field, TypeAdapter

from schemas.compat import changes, release, release_problems
from schemas.events import Contract
from schemas.export import rendered


def _schema(model: type) -> dict[str, object]:
    return TypeAdapter(model).json_schema(mode="validation")


class Old(Contract):
    """A record."""

    id: str
    kind: Literal["a", "b"]
    count: int = Field(default=0, ge=0)


class Reworded(Contract):
    """A record, described better."""

    id: str = Field(description="its identity")
    kind: Literal["a", "b"]
    count: int = Field(default=0, ge=0, description="how many")


class Added(Contract):
    id: str
    kind: Literal["a", "b"]
    count: int = Field(default=0, ge=0)
    extra: str | None = None


class Removed(Contract):
    id: str
    kind: Literal["a", "b"]


class MoreValues(Contract):
    id: str
    kind: Literal["a", "b", "c"]
    count: int = Field(default=0, ge=0)


class Narrower(Contract):
    id: str
    kind: Literal["a", "b"]
    count: int = Field(default=0, ge=1)


class Required(Contract):
    id: str
    kind: Literal["a", "b"]
    count: int = Field(ge=0)


def test_the_current_contract_is_compatible_with_its_release() -> None:
    assert release_problems() == []


def test_wording_is_compatible() -> None:
    assert changes(_schema(Old), _schema(Reworded)) == []


@pytest.mark.parametrize(
    ("model", "words"),
    [
        (Added, "property 'extra' added — old readers refuse"),
        (Removed, "property 'count' removed — old messages holding it are refused"),
        (MoreValues, "values ['c'] added"),
        (Narrower, "minimum 0 became 1"),
        (Required, "'count' now required"),
    ],
)
def test_a_breaking_change_is_named(model: type, words: str) -> None:
    found = changes(_schema(Old), _schema(model))
    assert any(words in change for change in found), found


def test_a_breaking_change_fails_the_release_check_until_the_major_version_is_bumped(
    tmp_path: Path,
) -> None:
    current = rendered()
    for name, text in current.items():
        (tmp_path / name).write_text(text)
    assert release_problems(tmp_path) == []
    doc = json.loads(current["alert-event.v1.schema.json"])
    doc["properties"]["legacy"] = {"type": "string"}  # released with a field since removed
    (tmp_path / "alert-event.v1.schema.json").write_text(json.dumps(doc))
    problems = release_problems(tmp_path)
    assert problems == [
        "alert-event.v1.schema.json: <root>: property 'legacy' removed — old messages "
        "holding it are refused"
    ]
    with pytest.raises(ValueError, match="give the topic a new major version"):
        release(tmp_path)
    # the old one was v0 and the current is v1: a new major version, to be released itself
    (tmp_path / "alert-event.v1.schema.json").rename(tmp_path / "alert-event.v0.schema.json")
    assert release_problems(tmp_path) == [
        "alert-event.v1.schema.json: not released yet (run `safer schemas release`)"
    ]
    assert [p.name for p in release(tmp_path)] == ["alert-event.v1.schema.json"]
    assert release_problems(tmp_path) == []
    (tmp_path / "alert-event.v0.schema.json").rename(tmp_path / "alert-event.v2.schema.json")
    assert release_problems(tmp_path) == [  # a release newer than what is exported
        "alert-event.v2.schema.json: released, but no longer exported (nor a newer major)"
    ]
