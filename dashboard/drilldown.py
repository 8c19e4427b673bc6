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

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from aggregates.disclosure import Role, Shown
from aggregates.places import PLACE_LEVEL
from dashboard.area_tables import (
    AREA,
    INCIDENTS,
    RATE,
    area_table,
    grouped,
    places_table,
    rate,
    total,
    within,
)
from dashboard.exports import Chart
from dashboard.window_figures import Cells
from geography.areas import Areas

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
