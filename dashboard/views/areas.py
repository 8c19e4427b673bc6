"""The Area drill-down page: partnership, ward, LSOA, street or place (analyst)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from aggregates.places import PLACE_LEVEL
from dashboard import data, drilldown, figures
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
    window_filter,
)
from safer.geography import Areas, load_areas
from safer.settings import Settings

LSOA_PARAM = "lsoa"
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


def areas_panel(
    settings: Settings, who: Viewer, sources: list[str], window_slug: str, ward: str, lsoa: str
) -> None:
    role = who.role
    now = datetime.now(UTC)
    areas = load_areas(settings.partnership)
    window = {w.slug: w for w in figures.windows_for(role, now)}[window_slug]
    span = (window.start, window.end)
    detail = role.exact and ward != ALL_AREAS
    # one round trip: wards, and for the analyst in a ward its LSOAs and streets or places
    levels = ("ward", "lsoa", PLACE_LEVEL) if detail else ("ward",)
    requests = tuple((level, span) for level in levels)
    read_rows = read_or_report(settings, lambda store: read_level_windows(store, requests))
    if read_rows is None:
        return
    wards = figures.cells_of(read_rows[0], sources)
    lsoas = figures.cells_of(read_rows[1], sources) if detail else {}
    places = figures.cells_of(read_rows[2], sources) if detail else {}
    whole_name = areas.name or "the partnership"
    ward_pop = areas.ward_population()
    whole = drilldown.total(wards, None, role)
    whole_rate = drilldown.rate(whole, sum(ward_pop.values()))
    st.caption(figures.window_caption(window) + ("" if role.exact else " " + SUM_CAVEAT))
    tables: list[tuple[str, pd.DataFrame]] = []
    if ward == ALL_AREAS:
        st.subheader(f"{whole_name}: {whole.text} incidents")
        st.caption(f"{drilldown.rate(whole, sum(ward_pop.values())) or '—'} per 1,000 residents")
        table = drilldown.area_table(
            wards,
            sorted(areas.ward_names),
            areas.ward_names,
            ward_pop,
            role,
            (whole_name, whole_rate),
        )
        tables.append(("Wards", table))
        kinds = drilldown.categories(wards, None, wards, whole_name, role)
    else:
        name = areas.ward_name(ward)
        mine = drilldown.total(wards, ward, role)
        ward_rate = drilldown.rate(mine, ward_pop.get(ward, 0))
        if lsoa == ALL_AREAS or not detail:
            st.subheader(f"{name}: {mine.text} incidents")
            st.caption(f"{ward_rate or '—'} per 1,000 residents; {whole_name}: {whole_rate or '—'}")
            kinds = drilldown.categories(wards, ward, wards, whole_name, role)
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
            here = drilldown.total(lsoas, lsoa, role)
            st.subheader(f"{info.name} ({lsoa}), in {name}: {here.text} incidents")
            st.caption(
                f"{drilldown.rate(here, info.population) or '—'} per 1,000 residents; "
                f"{name}: {ward_rate or '—'}; {whole_name}: {whole_rate or '—'}"
            )
            ward_cells = {k: n for k, n in wards.items() if k[0] == ward}
            kinds = drilldown.categories(lsoas, lsoa, ward_cells, name, role)
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
    st.dataframe(kinds, hide_index=True, width="stretch")
    tables.append(("Categories", kinds))
    export = ExportView(
        "Area drill-down",
        role,
        {
            "sources": data.sources_text(sources),
            "window": figures.window_caption(window),
            "ward": areas.ward_name(ward) if ward != ALL_AREAS else "all",
            "lsoa": lsoa if detail else "all",
        },
        now,
        tables,
        figures.caveats(role),
    )
    show_exports(
        export,
        "areas",
        {"source": sources, "window": window_slug, "area": ward, "lsoa": lsoa},
    )


def page(settings: Settings, who: Viewer, sources: list[str]) -> None:
    areas = load_areas(settings.partnership)
    window_slug = window_filter(who.role)
    ward = area_filter(areas.ward_names)
    exact = who.role.exact and ward != ALL_AREAS
    lsoa = lsoa_filter(ward, areas) if exact else ALL_AREAS
    filters = {"source": sources, "window": window_slug, "area": ward, "lsoa": lsoa}
    record_view(settings, who, "areas", filters)
    if need_sources(sources):
        forget_export("areas")
        drill = st.fragment(areas_panel, run_every=SLOW_TTL_S)
        drill(settings, who, sources, window_slug, ward, lsoa)
        export_buttons(settings, who, "areas")
