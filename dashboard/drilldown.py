"""Area drill-down: partnership -> local authority -> ward -> LSOA -> street or place, with
rates per 1,000 residents (pure: no Streamlit, no Redis).

Every count is a sum of (area, category) cells disclosed for the role; a rate is computed
from the disclosed count, so it reveals nothing more. Partner and public stop at wards:
their figures are protected sums of (ward, category) cells, and LSOA figures beside them
would let small counts be worked out (an LSOA level for them would need every figure built
from LSOA cells). Streets and places (the contract's controlled ``place``,
``aggregates.places``) are the analyst's only, for the same reason; they have no residents,
so no rate. A partnership of several local authorities puts their level between itself and
its wards: an authority's figure is the disclosed sum of its wards' cells, like every other
figure. Populations: Census 2011 usual residents (KS102EW) of the partnership's LSOAs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from aggregates.disclosure import Role, Shown, disclose_sum
from aggregates.places import PLACE_LEVEL, Place
from dashboard.data import category_label, source_label
from dashboard.exports import Chart
from dashboard.window_figures import Cells
from geography.areas import Areas
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


# --- what the page shows for a choice ---------------------------------------------------

TOP_PLACES = 15
WARDS_ONLY = (
    "Outside the analyst role figures stop at wards (smaller areas would let small counts "
    "be worked out)."
)
Compared = tuple[Cells, str | None, Cells, str]
"""What the categories and sources tables compare: the cells, the area (None: all of them),
the parent's cells and the parent's name."""
Tables = list[tuple[str, pd.DataFrame]]


@dataclass(frozen=True, slots=True)
class Choice:
    """Where the viewer drilled to (None: all): a local authority (a partnership of
    several), a ward and (analyst, in a ward) an LSOA."""

    authority: str | None
    ward: str | None
    lsoa: str | None


@dataclass(frozen=True, slots=True)
class Parent:
    """An area a ward is compared with: its name, its rate and its (ward, category) cells."""

    name: str
    rate: float | None
    cells: Cells

    @property
    def rate_text(self) -> str:
        return f"{self.name}: {self.rate or '—'}"


@dataclass(frozen=True, slots=True)
class AreaView:
    """What the page shows for a choice: its heading and the captions under it, the tables
    of areas or places, and what the categories and sources tables compare."""

    heading: str
    captions: tuple[str, ...]
    tables: Tables
    compared: Compared
    headline: pd.DataFrame
    """The heading's figures as a table (exports): the area, then each area it is
    compared with, with their totals and rates."""


HEADLINE = "Headline"


def code_in(label: str) -> str:
    """The area code of a table's label ('Bebington (E05000954)' -> 'E05000954'); '' when
    it names none."""
    if label.endswith(")") and "(" in label:
        return label[label.rindex("(") + 1 : -1]
    return ""


CHARTED = {"Local authorities", "Wards", "LSOAs"}
"""Tables of areas charted in exports (by incidents); streets and places are not (no
residents, and a long tail)."""


def export_charts(tables: Tables) -> dict[str, Chart]:
    """A bar chart of incidents per area for each table of areas, and of the categories."""
    charts = {name: Chart("bar", AREA, (INCIDENTS,)) for name, _ in tables if name in CHARTED}
    return charts | {"Categories": Chart("bar", "Category", ("Incidents",))}


Figure = tuple[str, Shown, float | None]
"""An area's name, disclosed total and rate per 1,000 residents."""


def headline(mine: Sequence[Figure], nearest: Sequence[Parent], role: Role) -> pd.DataFrame:
    """The area's figures (an LSOA's: its own, then its ward's), then each parent's."""
    rows = [*mine, *((p.name, total(p.cells, None, role), p.rate) for p in nearest)]
    return pd.DataFrame(
        [{AREA: name, INCIDENTS: shown.text, RATE: value} for name, shown, value in rows],
        columns=[AREA, INCIDENTS, RATE],
    )


def detailed(role: Role, ward: str | None) -> bool:
    """Whether the view goes below wards (LSOAs, streets and places): the analyst's, in a
    ward."""
    return role.exact and ward is not None


def levels_to_read(role: Role, ward: str | None) -> tuple[str, ...]:
    """The area levels one read needs: wards, and in a detailed view LSOAs and places."""
    return ("ward", "lsoa", PLACE_LEVEL) if detailed(role, ward) else ("ward",)


def resolved(areas: Areas, choice: Choice) -> Choice:
    """The choice with a chosen ward's own local authority."""
    if choice.ward is None:
        return choice
    return replace(choice, authority=areas.ward_authority.get(choice.ward, choice.authority))


def parents(areas: Areas, wards: Cells, authority: str | None, role: Role) -> list[Parent]:
    """What an area is compared with, nearest first: its local authority (a partnership of
    several, one chosen) and the whole partnership."""
    ward_pop = areas.ward_population()
    whole = Parent(
        areas.name or "the partnership",
        rate(total(wards, None, role), sum(ward_pop.values())),
        wards,
    )
    if not areas.combined or authority is None:
        return [whole]
    own_wards = areas.authority_wards(authority)
    own_cells = within(wards, own_wards)
    own_rate = rate(total(own_cells, None, role), sum(ward_pop.get(w, 0) for w in own_wards))
    return [Parent(areas.authority_names[authority], own_rate, own_cells), whole]


def area_view(
    areas: Areas, role: Role, choice: Choice, wards: Cells, lsoas: Cells, places: Cells
) -> AreaView:
    """The view of a (``resolved``) choice from the window's ward cells and, in a detailed
    view, its LSOA and place cells."""
    nearest = parents(areas, wards, choice.authority, role)
    if choice.ward is None:
        return _whole_view(areas, role, choice.authority, wards, nearest)
    if choice.lsoa is None or not detailed(role, choice.ward):
        return _ward_view(areas, role, choice.ward, (wards, lsoas, places), nearest)
    return _lsoa_view(areas, role, (choice.ward, choice.lsoa), (wards, lsoas, places), nearest)


def _whole_view(
    areas: Areas, role: Role, authority: str | None, wards: Cells, nearest: list[Parent]
) -> AreaView:
    """The whole partnership, or one of its local authorities: its wards (and, for the
    whole of a partnership of several, its authorities)."""
    here, whole = nearest[0], nearest[-1]
    own = len(nearest) > 1
    shown = total(here.cells, None, role)
    caption = "; ".join(
        [f"{here.rate or '—'} per 1,000 residents"] + [p.rate_text for p in nearest[1:]]
    )
    tables: Tables = []
    if areas.combined and not own:
        authorities = area_table(
            grouped(wards, areas.ward_authority),
            sorted(areas.authority_names),
            areas.authority_names,
            areas.authority_population(),
            role,
            (whole.name, whole.rate),
        )
        tables.append(("Local authorities", authorities))
    codes = sorted(areas.authority_wards(authority if own else None))  # zeros included
    ward_pop = areas.ward_population()
    table = area_table(here.cells, codes, areas.ward_names, ward_pop, role, (here.name, here.rate))
    tables.append(("Wards", table))
    compared: Compared = (here.cells, None, whole.cells, whole.name)
    top = headline([(here.name, shown, here.rate)], nearest[1:], role)
    return AreaView(f"{here.name}: {shown.text} incidents", (caption,), tables, compared, top)


def _ward_view(
    areas: Areas,
    role: Role,
    ward: str,
    cells: tuple[Cells, Cells, Cells],
    nearest: list[Parent],
) -> AreaView:
    """A ward against its parents; in a detailed view its LSOAs and busiest places."""
    wards, lsoas, places = cells
    name = areas.ward_name(ward)
    mine = total(wards, ward, role)
    ward_rate = rate(mine, areas.ward_population().get(ward, 0))
    caption = "; ".join(
        [f"{ward_rate or '—'} per 1,000 residents"] + [p.rate_text for p in nearest]
    )
    compared: Compared = (wards, ward, nearest[0].cells, nearest[0].name)
    heading = f"{name}: {mine.text} incidents"
    top = headline([(name, mine, ward_rate)], nearest, role)
    if not detailed(role, ward):
        return AreaView(heading, (caption, WARDS_ONLY), [], compared, top)
    codes = sorted(a.code for a in areas.lsoas if a.ward_code == ward)
    names = {a.code: a.name for a in areas.lsoas}
    pops = {a.code: a.population for a in areas.lsoas}
    in_ward = {code: names[code] for code in codes}
    tables: Tables = [
        ("LSOAs", area_table(lsoas, codes, names, pops, role, (name, ward_rate))),
        (
            f"Busiest streets and places (top {TOP_PLACES})",
            places_table(places, in_ward, role, TOP_PLACES),
        ),
    ]
    return AreaView(heading, (caption,), tables, compared, top)


def _lsoa_view(
    areas: Areas,
    role: Role,
    where: tuple[str, str],
    cells: tuple[Cells, Cells, Cells],
    nearest: list[Parent],
) -> AreaView:
    """The analyst's LSOA against its ward and the ward's parents, with its every street and
    place."""
    (ward, lsoa), (wards, lsoas, places) = where, cells
    name = areas.ward_name(ward)
    ward_rate = rate(total(wards, ward, role), areas.ward_population().get(ward, 0))
    info = next(a for a in areas.lsoas if a.code == lsoa)
    here_total = total(lsoas, lsoa, role)
    here_rate = rate(here_total, info.population)
    ward_row: Figure = (name, total(wards, ward, role), ward_rate)
    caption = "; ".join(
        [
            f"{here_rate or '—'} per 1,000 residents",
            f"{name}: {ward_rate or '—'}",
        ]
        + [p.rate_text for p in nearest]
    )
    return AreaView(
        f"{info.name} ({lsoa}), in {name}: {here_total.text} incidents",
        (caption,),
        [("Streets and places", places_table(places, {lsoa: info.name}, role))],
        (lsoas, lsoa, within(wards, {ward}), name),
        headline([(f"{info.name} ({lsoa})", here_total, here_rate), ward_row], nearest, role),
    )
