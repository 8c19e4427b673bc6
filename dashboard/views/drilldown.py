"""The Area drill-down page: partnership, local authority (a partnership of several), ward,
LSOA, street or place (analyst)."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from aggregates.disclosure import SUM_CAVEAT, Role
from aggregates.periods import Period
from dashboard import drilldown, window_figures
from dashboard.exports import ExportView
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    ALL_AREAS,
    SLOW_TTL_S,
    area_filter,
    export_buttons,
    forget_export,
    need_sources,
    period_params,
    read_level_windows,
    read_or_report,
    show_exports,
    url_selectbox,
    whole_area,
    window_filter,
)
from geography.areas import Areas, load_areas
from safer.settings import Settings

LSOA_PARAM = "lsoa"
AUTHORITY_PARAM = "la"
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


def _chosen(value: str) -> str | None:
    return None if value == ALL_AREAS else value


def areas_panel(
    settings: Settings,
    who: Viewer,
    sources: Selection,
    period: Period,
    authority: str,
    ward: str,
    lsoa: str,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    areas = load_areas(settings.partnership)
    window = window_figures.window_for(role, now, period)
    chosen = drilldown.Choice(_chosen(authority), _chosen(ward), _chosen(lsoa))
    choice = drilldown.resolved(areas, chosen)
    detail = drilldown.detailed(role, choice.ward)
    # one round trip: wards, and for the analyst in a ward its LSOAs and streets or places
    requests = tuple((level, window.span) for level in drilldown.levels_to_read(role, choice.ward))
    read_rows = read_or_report(settings, lambda store: read_level_windows(store, requests))
    if read_rows is None:
        return
    cells = [window_figures.cells_of(rows, sources) for rows in read_rows]
    wards, lsoas, places = cells if len(cells) == 3 else (cells[0], {}, {})
    view = drilldown.area_view(areas, role, choice, wards, lsoas, places)
    st.caption(window_figures.window_caption(window) + ("." if role.exact else ". " + SUM_CAVEAT))
    tables = show_view(view, detail, role)
    authority = choice.authority or ALL_AREAS
    export = ExportView(
        "Area drill-down",
        role,
        {
            **sources.export_filters(),
            "window": window_figures.window_caption(window),
            "local authority": areas.authority_names.get(authority, "all"),
            "ward": areas.ward_name(ward) if ward != ALL_AREAS else "all",
            "lsoa": lsoa if detail else "all",
        },
        now,
        [(drilldown.HEADLINE, view.headline), *tables],
        window_figures.caveats(role),
        charts=drilldown.export_charts(tables),
        captions={drilldown.HEADLINE: "; ".join((view.heading, *view.captions))},
    )
    show_exports(export, "areas", _filters(sources, period, authority, ward, lsoa))


def show_view(view: drilldown.AreaView, detailed: bool, role: Role) -> drilldown.Tables:
    """Draw the view; returns every table drawn, for the export."""
    st.subheader(view.heading)
    for caption in view.captions:
        st.caption(caption)
    tables = list(view.tables)
    for title, table in tables:
        st.markdown(f"**{title}**")
        if table.empty:
            st.caption("None in this window for the selected sources.")
        else:
            st.dataframe(table, hide_index=True, width="stretch")
    if detailed:
        st.caption(PLACES_CAVEAT)
    for title, table in (
        ("Categories", drilldown.categories(*view.compared, role)),
        ("Sources", drilldown.sources(*view.compared, role)),
    ):
        st.markdown(f"**{title}**")
        st.dataframe(table, hide_index=True, width="stretch")
        tables.append((title, table))
    return tables


def _filters(
    sources: Selection, period: Period, authority: str, ward: str, lsoa: str
) -> dict[str, object]:
    found: dict[str, object] = {**sources.params(), **period_params(period)}
    if authority != ALL_AREAS:
        found[AUTHORITY_PARAM] = authority
    return found | {"area": ward, "lsoa": lsoa}


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    areas = load_areas(settings.partnership)
    period = window_filter(who.role)
    authority = authority_filter(areas) if areas.combined else ALL_AREAS
    if authority == ALL_AREAS:
        ward = area_filter(areas.ward_names, f"Whole {whole_area(areas)}")
    else:
        mine = areas.authority_wards(authority)
        named = {w: n for w, n in areas.ward_names.items() if w in mine}
        ward = area_filter(named, f"Whole {areas.authority_names[authority]}")
    exact = who.role.exact and ward != ALL_AREAS
    lsoa = lsoa_filter(ward, areas) if exact else ALL_AREAS
    filters = _filters(sources, period, authority, ward, lsoa)
    record_view(settings, who, "areas", filters)
    if need_sources(sources):
        forget_export("areas")
        drill = st.fragment(areas_panel, run_every=SLOW_TTL_S)
        drill(settings, who, sources, period, authority, ward, lsoa)
        export_buttons(settings, who, "areas")
