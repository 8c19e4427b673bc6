"""The drill-down's tables (pure: no Streamlit, no Redis): areas with their disclosed
counts and rates per 1,000 residents against their parent, categories and sources with
their shares beside the parent's, and streets or places (analyst). Every figure is a
disclosed sum of (area, category) cells; a rate comes from the disclosed count, so it
reveals nothing more. How the tables make a view is ``dashboard.drilldown``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import pandas as pd

from aggregates.disclosure import Role, Shown, disclose_sum
from aggregates.places import Place
from dashboard.data import category_label, source_label
from dashboard.window_figures import Cells
from schemas.categories import CATEGORY_SOURCE

AREA, INCIDENTS, RATE, VERSUS = "Area", "Incidents", "Per 1,000 residents", "Compared with"


def rate(shown: Shown, population: int) -> float | None:
    """Incidents per 1,000 residents, from the disclosed count (None when suppressed or the
    population is unknown)."""
    if shown.value is None or population <= 0:
        return None
    return round(shown.value * 1000 / population, 2)


def by_area(cells: Cells) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for (area, _), n in cells.items():
        out.setdefault(area, []).append(n)
    return out


def area_table(
    cells: Cells,
    areas: Sequence[str],
    names: Mapping[str, str],
    population: Mapping[str, int],
    role: Role,
    parent: tuple[str, float | None],
) -> pd.DataFrame:
    """One row per area (all of ``areas``, zeros included): disclosed count, rate, and the
    rate against the parent's (``parent``: its name and rate), busiest first."""
    parent_name, parent_rate = parent
    per = by_area(cells)
    rows = []
    for area in areas:
        shown = disclose_sum(per.get(area, []), role)
        r = rate(shown, population.get(area, 0))
        versus = f"{r / parent_rate:.1f}× {parent_name}" if r is not None and parent_rate else "—"
        rows.append(
            (
                -(shown.value if shown.value is not None else -1),
                names.get(area, area),
                {
                    AREA: f"{names.get(area, area)} ({area})",
                    INCIDENTS: shown.text,
                    RATE: r,
                    VERSUS: versus,
                },
            )
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    return pd.DataFrame([r[2] for r in rows], columns=[AREA, INCIDENTS, RATE, VERSUS])


def grouped(cells: Cells, parent_of: Mapping[str, str]) -> Cells:
    """Ward cells keyed by each ward's parent (its local authority), each cell kept whole:
    ``(parent, "ward|category")``. A parent's figure is then the disclosed sum of its
    wards' cells, as every other figure is, never a sum rounded or protected anew."""
    return {(parent_of[a], f"{a}|{c}"): n for (a, c), n in cells.items() if a in parent_of}


def within(cells: Cells, areas: Collection[str]) -> Cells:
    """The cells of ``areas`` only."""
    return {key: n for key, n in cells.items() if key[0] in areas}


def total(cells: Cells, area: str | None, role: Role) -> Shown:
    """An area's (None: every area's) disclosed total."""
    return disclose_sum([n for (a, _), n in cells.items() if area is None or a == area], role)


def categories(
    cells: Cells, area: str | None, parent: Cells, parent_name: str, role: Role
) -> pd.DataFrame:
    """Per category: the area's disclosed count and share, beside the parent's share."""
    return _shares(cells, area, parent, parent_name, role, "Category", _category_of)


def sources(
    cells: Cells, area: str | None, parent: Cells, parent_name: str, role: Role
) -> pd.DataFrame:
    """Per source (police, council, fire): the area's disclosed count and share, beside the
    parent's share; each figure the disclosed sum of that source's (area, category) cells."""
    return _shares(cells, area, parent, parent_name, role, "Source", _source_of)


def _category_of(category: str) -> str | None:
    return category_label(category)


def _source_of(category: str) -> str | None:
    source = CATEGORY_SOURCE.get(category)
    return None if source is None else source_label(source.value)


def _shares(
    cells: Cells,
    area: str | None,
    parent: Cells,
    parent_name: str,
    role: Role,
    column: str,
    group_of: Callable[[str], str | None],
) -> pd.DataFrame:
    """Per group of categories (``group_of``: its label, None to leave a category out): the
    area's disclosed count and share, beside the parent's share, busiest first."""
    mine: dict[str, list[int]] = {}
    for (a, category), n in cells.items():
        group = group_of(category)
        if group is not None and (area is None or a == area):
            mine.setdefault(group, []).append(n)
    theirs: dict[str, list[int]] = {}
    for (_, category), n in parent.items():
        group = group_of(category)
        if group is not None:
            theirs.setdefault(group, []).append(n)
    whole = total(cells, area, role).value or 0
    parent_whole = disclose_sum(parent.values(), role).value or 0
    rows = []
    for group in sorted(set(mine) | set(theirs)):
        shown = disclose_sum(mine.get(group, []), role)
        other = disclose_sum(theirs.get(group, []), role)
        rows.append(
            {
                column: group,
                INCIDENTS: shown.text,
                "Share": _share(shown, whole),
                f"Share in {parent_name}": _share(other, parent_whole),
                "_order": -(shown.value or 0),
            }
        )
    frame = pd.DataFrame(
        rows, columns=[column, INCIDENTS, "Share", f"Share in {parent_name}", "_order"]
    )
    return frame.sort_values(["_order", column]).drop(columns="_order").reset_index(drop=True)


def _share(shown: Shown, whole: int) -> str:
    if shown.value is None or not whole:
        return "—"
    return f"{100 * shown.value / whole:.0f}%"


PLACE, LSOA, CATEGORIES, SOURCES = "Street or place", "LSOA", "Main categories", "Sources"


def places_table(
    cells: Cells, lsoa_names: Mapping[str, str], role: Role, top: int | None = None
) -> pd.DataFrame:
    """The analyst's streets and places in ``cells`` ((place code, category) counts of the
    LSOAs wanted, ``lsoa_names``), busiest first: one row per street or place name in an
    LSOA (police.uk points of one name count together), its exact count, its three main
    categories and its sources. ``ValueError`` for any other role: place figures beside
    protected ward figures would let small counts be worked out."""
    if not role.exact:
        raise ValueError("streets and places are shown to the analyst only")
    per: dict[tuple[str, str], dict[str, int]] = {}
    for (code, category), n in cells.items():
        place = Place.parse(code)
        if place.lsoa in lsoa_names and n:
            kinds = per.setdefault((place.lsoa, place.name), {})
            kinds[category] = kinds.get(category, 0) + n
    busiest = sorted(per.items(), key=lambda item: (-sum(item[1].values()), item[0][1], item[0][0]))
    rows = []
    for (lsoa, name), kinds in busiest[:top]:
        main = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))[:3]
        sources = sorted({label for c in kinds if (label := _source_of(c)) is not None})
        rows.append(
            {
                PLACE: name,
                LSOA: f"{lsoa_names[lsoa]} ({lsoa})",
                INCIDENTS: str(sum(kinds.values())),  # text like every other drill-down count
                CATEGORIES: ", ".join(f"{category_label(c)} ({n})" for c, n in main),
                SOURCES: ", ".join(sources),
            }
        )
    return pd.DataFrame(rows, columns=[PLACE, LSOA, INCIDENTS, CATEGORIES, SOURCES])
