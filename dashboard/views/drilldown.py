"""The Area drill-down page: partnership, local authority (a partnership of several), ward,
LSOA, street or place (analyst)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from aggregates.places import PLACE_LEVEL
from dashboard import data, drilldown, window_figures
from dashboard.disclosure import SUM_CAVEAT
from dashboard.exports import ExportView
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    ALL_AREAS,
    SLOW_TTL_S,
    area_filter,
    export_buttons,
    forget_export,
    need_sources,
    read_level_windows,
    read_or_report,
    show_exports,
    url_selectbox,
    whole_area,
    window_filter,
)
from dashboard.window_figures import Cells
from geography.areas import Areas, load_areas
from safer.settings import Settings

LSOA_PARAM = "lsoa"
AUTHORITY_PARAM = "la"
TOP_PLACES = 15
PLACES_CAVEAT = (
    "Streets and places are the controlled place names records carry (police.uk's "
    "anonymised 'On or near …' points); records without one count in their LSOA only."
)


def lsoa_filter(ward: str, areas: Areas) -> str:
    """The analyst's LSOA within the chosen ward (all: none chosen), in ``?lsoa=``."""
    options = {ALL_AREAS: "All LSOAs of the ward"}
    options |= {a.code: f"{a.name} ({a.code})" for a in areas.lsoas if a.ward_code == ward}
    return url_selectbox(LSOA_PARAM, "LSOA", options, ALL_AREAS)


def authority_filter(areas: Areas) -> str:
    """A partnership of several local authorities: the whole partnership or one authority,
    in ``?la=``."""
    options = {ALL_AREAS: "Whole partnership"}
    options |= dict(sorted(areas.authority_names.items(), key=lambda a: a[1]))
    return url_selectbox(AUTHORITY_PARAM, "Local authority", options, ALL_AREAS)


Compared = tuple[Cells, str | None, Cells, str]
"""What the categories and sources tables compare: the cells, the area (None: all of them),
the parent's cells and the parent's name."""


@dataclass(frozen=True, slots=True)
class Parent:
    """An area a ward is compared with: its name, its rate and its (ward, category) cells."""

    name: str
    rate: float | None
    cells: Cells

    @property
    def rate_text(self) -> str:
        return f"{self.name}: {self.rate or '—'}"


def areas_panel(
    settings: Settings,
    who: Viewer,
    sources: list[str],
    window_slug: str,
    authority: str,
    ward: str,
    lsoa: str,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    areas = load_areas(settings.partnership)
    window = {w.slug: w for w in window_figures.windows_for(role, now)}[window_slug]
    span = (window.start, window.end)
    detail = role.exact and ward != ALL_AREAS
    # one round trip: wards, and for the analyst in a ward its LSOAs and streets or places
    levels = ("ward", "lsoa", PLACE_LEVEL) if detail else ("ward",)
    requests = tuple((level, span) for level in levels)
    read_rows = read_or_report(settings, lambda store: read_level_windows(store, requests))
    if read_rows is None:
        return
    wards = window_figures.cells_of(read_rows[0], sources)
    lsoas = window_figures.cells_of(read_rows[1], sources) if detail else {}
    places = window_figures.cells_of(read_rows[2], sources) if detail else {}
    ward_pop = areas.ward_population()
    whole_total = drilldown.total(wards, None, role)
    whole = Parent(
        areas.name or "the partnership",
        drilldown.rate(whole_total, sum(ward_pop.values())),
        wards,
    )
    if ward != ALL_AREAS:
        authority = areas.ward_authority.get(ward, authority)
    own: Parent | None = None  # the chosen (or the ward's) local authority, if several
    if areas.combined and authority != ALL_AREAS:
        own_wards = areas.authority_wards(authority)
        own_cells = drilldown.within(wards, own_wards)
        own = Parent(
            areas.authority_names[authority],
            drilldown.rate(
                drilldown.total(own_cells, None, role), sum(ward_pop.get(w, 0) for w in own_wards)
            ),
            own_cells,
        )
    parents = [p for p in (own, whole) if p is not None]  # nearest first
    st.caption(window_figures.window_caption(window) + ("" if role.exact else " " + SUM_CAVEAT))
    tables: list[tuple[str, pd.DataFrame]] = []
    if ward == ALL_AREAS:
        here = own or whole
        shown = drilldown.total(here.cells, None, role)
        st.subheader(f"{here.name}: {shown.text} incidents")
        st.caption(
            "; ".join(
                [f"{here.rate or '—'} per 1,000 residents"] + [p.rate_text for p in parents[1:]]
            )
        )
        if areas.combined and own is None:
            tables.append(
                (
                    "Local authorities",
                    drilldown.area_table(
                        drilldown.grouped(wards, areas.ward_authority),
                        sorted(areas.authority_names),
                        areas.authority_names,
                        areas.authority_population(),
                        role,
                        (whole.name, whole.rate),
                    ),
                )
            )
        codes = sorted(areas.authority_wards(authority if own else None))  # zeros included
        table = drilldown.area_table(
            here.cells, codes, areas.ward_names, ward_pop, role, (here.name, here.rate)
        )
        tables.append(("Wards", table))
        compared: Compared = (here.cells, None, whole.cells, whole.name)
    else:
        name = areas.ward_name(ward)
        mine = drilldown.total(wards, ward, role)
        ward_rate = drilldown.rate(mine, ward_pop.get(ward, 0))
        nearest = parents[0]
        if lsoa == ALL_AREAS or not detail:
            st.subheader(f"{name}: {mine.text} incidents")
            st.caption(
                "; ".join(
                    [f"{ward_rate or '—'} per 1,000 residents"] + [p.rate_text for p in parents]
                )
            )
            compared = (wards, ward, nearest.cells, nearest.name)
            if detail:
                codes = sorted(a.code for a in areas.lsoas if a.ward_code == ward)
                names = {a.code: a.name for a in areas.lsoas}
                pops = {a.code: a.population for a in areas.lsoas}
                tables.append(
                    (
                        "LSOAs",
                        drilldown.area_table(lsoas, codes, names, pops, role, (name, ward_rate)),
                    )
                )
                in_ward = {code: names[code] for code in codes}
                tables.append(
                    (
                        f"Busiest streets and places (top {TOP_PLACES})",
                        drilldown.places_table(places, in_ward, role, TOP_PLACES),
                    )
                )
            else:
                st.caption(
                    "Outside the analyst role figures stop at wards (smaller areas would let "
                    "small counts be worked out)."
                )
        else:
            info = next(a for a in areas.lsoas if a.code == lsoa)
            here_total = drilldown.total(lsoas, lsoa, role)
            st.subheader(f"{info.name} ({lsoa}), in {name}: {here_total.text} incidents")
            st.caption(
                "; ".join(
                    [
                        f"{drilldown.rate(here_total, info.population) or '—'} per 1,000 residents",
                        f"{name}: {ward_rate or '—'}",
                    ]
                    + [p.rate_text for p in parents]
                )
            )
            ward_cells = drilldown.within(wards, {ward})
            compared = (lsoas, lsoa, ward_cells, name)
            tables.append(
                ("Streets and places", drilldown.places_table(places, {lsoa: info.name}, role))
            )
    for title, table in tables:
        st.markdown(f"**{title}**")
        if table.empty:
            st.caption("None in this window for the selected sources.")
        else:
            st.dataframe(table, hide_index=True, width="stretch")
    if detail:
        st.caption(PLACES_CAVEAT)
    st.markdown("**Categories**")
    kinds = drilldown.categories(*compared, role)
    st.dataframe(kinds, hide_index=True, width="stretch")
    tables.append(("Categories", kinds))
    st.markdown("**Sources**")
    by_source = drilldown.sources(*compared, role)
    st.dataframe(by_source, hide_index=True, width="stretch")
    tables.append(("Sources", by_source))
    export = ExportView(
        "Area drill-down",
        role,
        {
            "sources": data.sources_text(sources),
            "window": window_figures.window_caption(window),
            "local authority": areas.authority_names.get(authority, "all"),
            "ward": areas.ward_name(ward) if ward != ALL_AREAS else "all",
            "lsoa": lsoa if detail else "all",
        },
        now,
        tables,
        window_figures.caveats(role),
    )
    show_exports(export, "areas", _filters(sources, window_slug, authority, ward, lsoa))


def _filters(
    sources: list[str], window_slug: str, authority: str, ward: str, lsoa: str
) -> dict[str, object]:
    found: dict[str, object] = {"source": sources, "window": window_slug}
    if authority != ALL_AREAS:
        found[AUTHORITY_PARAM] = authority
    return found | {"area": ward, "lsoa": lsoa}


def page(settings: Settings, who: Viewer, sources: list[str]) -> None:
    areas = load_areas(settings.partnership)
    window_slug = window_filter(who.role)
    authority = authority_filter(areas) if areas.combined else ALL_AREAS
    if authority == ALL_AREAS:
        ward = area_filter(areas.ward_names, f"Whole {whole_area(areas)}")
    else:
        mine = areas.authority_wards(authority)
        named = {w: n for w, n in areas.ward_names.items() if w in mine}
        ward = area_filter(named, f"Whole {areas.authority_names[authority]}")
    exact = who.role.exact and ward != ALL_AREAS
    lsoa = lsoa_filter(ward, areas) if exact else ALL_AREAS
    filters = _filters(sources, window_slug, authority, ward, lsoa)
    record_view(settings, who, "areas", filters)
    if need_sources(sources):
        forget_export("areas")
        drill = st.fragment(areas_panel, run_every=SLOW_TTL_S)
        drill(settings, who, sources, window_slug, authority, ward, lsoa)
        export_buttons(settings, who, "areas")
