"""What a viewer chose to look at: sources and categories (pure: no Streamlit, no Redis).

A ``Selection`` is the sources chosen (it is a sequence of their names, as every page used
to take) and, optionally, categories and category groups (``schemas.categories``'s
``CATEGORY_GROUPS``, slugs ``all-…``). ``wanted`` is the one answer to "is this category
shown?" for every page: a category of a chosen source that is chosen itself, or in a
chosen group (no category chosen: all of the sources' categories).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import overload

from dashboard.data import ALL_SOURCES, sources_text
from schemas.categories import ACTIVITY_CATEGORIES, CATEGORY_GROUPS, CATEGORY_NAMES, CATEGORY_SOURCE

CATEGORY_PARAM = "cat"


def category_options() -> dict[str, str]:
    """Every choice of the category filter: the groups first, then each incident category
    (police activity, such as stop and search, is not an incident category)."""
    groups = {slug: f"{label} (group)" for slug, (label, _) in CATEGORY_GROUPS.items()}
    singles = {
        slug: name
        for slug, name in sorted(CATEGORY_NAMES.items(), key=lambda item: item[1])
        if slug not in ACTIVITY_CATEGORIES
    }
    return groups | singles


def parse_categories(values: Iterable[str]) -> tuple[str, ...]:
    """The known category and group slugs among ``values`` (from a URL), in option order,
    without repeats."""
    given = set(values)
    return tuple(slug for slug in category_options() if slug in given)


@dataclass(frozen=True, slots=True)
class Selection(Sequence[str]):
    """Chosen sources (iterating gives their names) and categories (empty: all)."""

    sources: tuple[str, ...]
    categories: tuple[str, ...] = ()
    _wanted: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_wanted", _wanted(self.sources, self.categories))

    @property
    def wanted(self) -> frozenset[str]:
        """The category slugs shown."""
        return self._wanted

    @property
    def filtered(self) -> bool:
        """Whether categories narrow the view (beyond the sources)."""
        return bool(self.categories)

    def params(self) -> dict[str, object]:
        """The selection as URL-style parameters (the audit log's filters)."""
        found: dict[str, object] = {"source": list(self.sources)}
        if self.categories:
            found[CATEGORY_PARAM] = list(self.categories)
        return found

    def export_filters(self) -> dict[str, str]:
        """The selection as an export's header lines."""
        return {"sources": sources_text(self.sources), "categories": self.category_text()}

    def narrowed_text(self) -> str | None:
        """'Filtered to: Police; categories: Burglary.' when anything is left out, else None."""
        parts = []
        if len(self.sources) < len(ALL_SOURCES):
            parts.append(sources_text(self.sources))
        if self.categories:
            parts.append("categories: " + self.category_text())
        return "Filtered to: " + "; ".join(parts) + "." if parts else None

    def category_text(self) -> str:
        """'Burglary, All violence' (the chosen categories and groups), or 'all'."""
        if not self.categories:
            return "all"
        names = category_options()
        return ", ".join(names[c].removesuffix(" (group)") for c in self.categories)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self.sources[index]

    def __len__(self) -> int:
        return len(self.sources)

    def __iter__(self) -> Iterator[str]:
        return iter(self.sources)


def wanted_categories(sources: Sequence[str]) -> frozenset[str]:
    """The categories shown for a selection, or for plain source names (all their
    categories)."""
    if isinstance(sources, Selection):
        return sources.wanted
    return _wanted(tuple(sources), ())


@cache
def _wanted(sources: tuple[str, ...], categories: tuple[str, ...]) -> frozenset[str]:
    """Categories of the sources, narrowed to the chosen ones and groups (cached: pages ask
    for every one of tens of thousands of rows)."""
    of_sources = {c for c, source in CATEGORY_SOURCE.items() if source.value in sources}
    if not categories:
        return frozenset(of_sources)
    chosen: set[str] = set()
    for slug in categories:
        chosen |= CATEGORY_GROUPS[slug][1] if slug in CATEGORY_GROUPS else {slug}
    return frozenset(of_sources & chosen)
