"""The Area drill-down page: partnership, local authority (a partnership of several), ward,
LSOA, street or place (analyst)."""

from __future__ import annotations

from datetime import UTC, datetime

import pydeck as pdk
import streamlit as st

from aggregates.disclosure import SUM_CAVEAT, Role
from aggregates.periods import Period
from dashboard import area_tables, drill_map, drilldown, window_figures
from dashboard.exports import ExportView
from dashboard.filters import (
    ALL_AREAS,
    AREA_PARAM,
    area_filter,
    period_params,
    query_choice,
    url_selectbox,
    whole_area,
    window_filter,
)
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    SLOW_TTL_S,
    export_buttons,
    forget_export,
    need_sources,
    read_level_windows,
    read_or_report,
    show_exports,
)
from geography.areas import Areas, load_areas
from safer.settings import Settings

LSOA_PARAM = "lsoa"
SHADE_PARAM = "shade"
DRILL_STATE = "drill-to"
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
    shade: str,
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
    drawn = drill_map.drill_map(areas, role, choice, wards, lsoas, shade)
    key = f"{choice.authority}-{choice.ward}-{choice.lsoa}"
    tables = show_view(view, detail, role, drawn, key)
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


def show_view(
    view: drilldown.AreaView, detailed: bool, role: Role, drawn: drill_map.DrillMap, key: str
) -> drilldown.Tables:
    """Draw the view: the heading, the map beside the first table (both clickable to drill
    into an area), the other tables; returns every table drawn, for the export."""
    st.subheader(view.heading)
    for caption in view.captions:
        st.caption(caption)
    tables = list(view.tables)
    left, right = st.columns([1, 1], gap="medium")
    with left:
        show_map(drawn, key)
    for i, (title, table) in enumerate(tables):
        with right if i == 0 else st.container():
            st.markdown(f"**{title}**")
            if table.empty:
                st.caption("None in this window for the selection.")
            elif title in drilldown.CHARTED:
                picked = st.dataframe(
                    table,
                    hide_index=True,
                    width="stretch",
                    on_select="rerun",
                    selection_mode="single-row",
                    key=f"rows-{title}-{key}",
                )
                rows = picked.selection.rows
                if rows:
                    drill_to(drilldown.code_in(str(table.iloc[rows[0]][area_tables.AREA])))
            else:
                st.dataframe(table, hide_index=True, width="stretch")
    if detailed:
        st.caption(PLACES_CAVEAT)
    for title, table in (
        ("Categories", area_tables.categories(*view.compared, role)),
        ("Sources", area_tables.sources(*view.compared, role)),
    ):
        st.markdown(f"**{title}**")
        st.dataframe(table, hide_index=True, width="stretch")
        tables.append((title, table))
    return tables


def show_map(drawn: drill_map.DrillMap, key: str) -> None:
    """The children's shading; a click on one drills into it."""
    lat, lon, zoom = drawn.view
    layer = pdk.Layer(
        "GeoJsonLayer",
        drawn.geojson,
        id="drill-areas",
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color="properties.line",
        get_line_width="properties.width",
        line_width_units="'pixels'",  # quoted: pydeck makes a bare string an accessor
    )
    deck = pdk.Deck(
        layers=[layer],
        initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom),
        map_provider=None,
        tooltip={"text": "{tooltip}"},
    )
    event = st.pydeck_chart(
        deck,
        height=drill_map.MAP_HEIGHT_PX,
        on_select="rerun" if drawn.clickable else "ignore",
        selection_mode="single-object",
        key=f"map-{key}",
    )
    legend = "; ".join(label for _, label in drawn.legend)
    st.caption(f"Light to dark: {legend}. {drawn.text}")
    if drawn.clickable and event is not None:
        picked = event.selection.objects.get("drill-areas", [])  # type: ignore[union-attr]
        if picked:
            found = picked[0]
            properties = found.get("properties", found)
            drill_to(str(properties.get("code") or ""))


def drill_to(code: str) -> None:
    """Drill into a ward or LSOA a click chose: the page's area filters take it before they
    are drawn (a widget's state may only be set then), so the URL follows."""
    if code:
        st.session_state[DRILL_STATE] = code
        st.rerun(scope="app")


def take_drill(areas: Areas) -> None:
    """Before the area filters: the area a click chose (its ward, its LSOA, its authority)."""
    code = st.session_state.pop(DRILL_STATE, None)
    if code is None:
        return
    if code in areas.authority_names:  # a partnership of several: into one authority
        st.session_state[AUTHORITY_PARAM] = code
        st.session_state[AREA_PARAM] = ALL_AREAS
        return
    ward = code if code in areas.ward_names else areas.lsoa_ward.get(code)
    if ward is None:
        return
    st.session_state[AREA_PARAM] = ward
    st.session_state[LSOA_PARAM] = code if code in areas.lsoa_ward else ALL_AREAS
    if areas.combined:
        st.session_state[AUTHORITY_PARAM] = areas.ward_authority.get(ward, ALL_AREAS)


def _filters(
    sources: Selection, period: Period, authority: str, ward: str, lsoa: str
) -> dict[str, object]:
    found: dict[str, object] = {**sources.params(), **period_params(period)}
    if authority != ALL_AREAS:
        found[AUTHORITY_PARAM] = authority
    return found | {"area": ward, "lsoa": lsoa}


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    areas = load_areas(settings.partnership)
    take_drill(areas)
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
    shade = query_choice(SHADE_PARAM, "Shade the map by", drill_map.SHADES, "rate")
    filters = _filters(sources, period, authority, ward, lsoa) | {SHADE_PARAM: shade}
    record_view(settings, who, "areas", filters)
    if need_sources(sources):
        forget_export("areas")
        drill = st.fragment(areas_panel, run_every=SLOW_TTL_S)
        drill(settings, who, sources, period, authority, ward, lsoa, shade)
        export_buttons(settings, who, "areas")
