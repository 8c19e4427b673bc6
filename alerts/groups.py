"""Alert groups: the named sets of categories a spike alert is tested for (pure).

A group is categories, optionally narrowed by one dimension of the aggregates (youth =
``youth``, a fire's cause = ``deliberate``), so its count in any window is a sum of existing
aggregate rows: nothing new is stored per group, a correction that moves an incident out of
a category or an area moves it out of the group's count, and a rebuild changes nothing. The
defaults follow the partners' questions (seeds): youth ASB, deliberate fires, burglary,
violence and all incidents. A partnership can name its own (``SAFER_ALERT_GROUPS``, JSON:
``[{"slug", "label", "categories", "dimension"?, "value"?}]``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from safer.errors import ConfigError
from schemas.categories import (
    ACTIVITY_CATEGORIES,
    CATEGORY_NAMES,
    AsbCategory,
    CallCategory,
    CrimeType,
    FireCategory,
    FireCause,
)

ALL = "all"
"""The group of every incident category (police activity such as stop and search is no
incident and in no group)."""
DIMENSIONS = ("youth", "cause")
"""The dimensions a group may be narrowed by (each is a breakdown at ward and borough)."""


@dataclass(frozen=True, slots=True)
class AlertGroup:
    slug: str
    label: str
    """As a sentence says it: "youth ASB incidents"."""
    categories: frozenset[str]
    dimension: str | None = None
    value: str | None = None

    @property
    def breakdown(self) -> str:
        """The aggregate breakdown its counts are summed from."""
        return self.dimension or "cat"

    def holds(self, category: str, value: str = "") -> bool:
        """Whether a row (category, dimension value) is in the group."""
        if category not in self.categories:
            return False
        return self.dimension is None or value == self.value


def _incident_categories() -> frozenset[str]:
    return frozenset(c for c in CATEGORY_NAMES if c not in ACTIVITY_CATEGORIES)


ASB = frozenset(
    {CrimeType.ANTI_SOCIAL_BEHAVIOUR.value, CallCategory.ASB.value, *(c.value for c in AsbCategory)}
)
DEFAULT_GROUPS = (
    AlertGroup("youth-asb", "youth ASB incidents", ASB, "youth", "youth"),
    AlertGroup(
        "deliberate-fires",
        "deliberate fires",
        frozenset({FireCategory.PRIMARY_FIRE.value, FireCategory.SECONDARY_FIRE.value}),
        "cause",
        FireCause.DELIBERATE.value,
    ),
    AlertGroup("burglary", "burglaries", frozenset({CrimeType.BURGLARY.value})),
    AlertGroup(
        "violence",
        "violent and public-order crimes",
        frozenset({CrimeType.VIOLENT_CRIME.value, CrimeType.PUBLIC_ORDER.value}),
    ),
    AlertGroup(ALL, "incidents", _incident_categories()),
)


def parse_groups(text: str) -> tuple[AlertGroup, ...]:
    """Groups from JSON (``SAFER_ALERT_GROUPS``); one-line ``ConfigError`` naming the fault."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"SAFER_ALERT_GROUPS: not JSON ({exc})") from None
    if not isinstance(raw, list) or not raw:
        raise ConfigError("SAFER_ALERT_GROUPS: a non-empty list of groups is required")
    groups = tuple(_group(item, index) for index, item in enumerate(raw))
    slugs = [g.slug for g in groups]
    if len(set(slugs)) != len(slugs):
        raise ConfigError("SAFER_ALERT_GROUPS: group slugs must differ")
    return groups


def _group(item: object, index: int) -> AlertGroup:
    where = f"SAFER_ALERT_GROUPS[{index}]"
    if not isinstance(item, Mapping):
        raise ConfigError(f"{where}: an object is required")
    slug, label = item.get("slug"), item.get("label")
    if not isinstance(slug, str) or not slug:
        raise ConfigError(f"{where}.slug: a name is required")
    if not isinstance(label, str) or not label:
        raise ConfigError(f"{where}.label: a label is required")
    categories = _categories(item.get("categories"), where)
    dimension, value = item.get("dimension"), item.get("value")
    if dimension is not None and dimension not in DIMENSIONS:
        raise ConfigError(f"{where}.dimension: one of {', '.join(DIMENSIONS)}")
    if (dimension is None) != (value is None):
        raise ConfigError(f"{where}: dimension and value go together")
    return AlertGroup(slug, label, categories, dimension, None if value is None else str(value))


def _categories(raw: object, where: str) -> frozenset[str]:
    if raw == ALL:
        return _incident_categories()
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f'{where}.categories: a list of category slugs (or "all")')
    unknown = [c for c in raw if c not in CATEGORY_NAMES or c in ACTIVITY_CATEGORIES]
    if unknown:
        raise ConfigError(f"{where}.categories: unknown incident category {unknown[0]!r}")
    return frozenset(str(c) for c in raw)


def group_counts(group: AlertGroup, rows: Iterable[tuple[str, str, str, int]]) -> dict[str, int]:
    """Per area, the group's count from rows of (area, category, value, count) of its
    breakdown."""
    found: dict[str, int] = {}
    for area, category, value, count in rows:
        if group.holds(category, value):
            found[area] = found.get(area, 0) + count
    return found
