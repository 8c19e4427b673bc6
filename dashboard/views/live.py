"""The Live page: freshness, recent windows with comparisons, areas above normal, wards,
categories and the latest incidents, rerun every ``SAFER_DASHBOARD_REFRESH_S``; and the
ward map, rerun every ``MAP_REFRESH_S``."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pydeck as pdk
import streamlit as st

from aggregates.disclosure import SUM_CAVEAT
from aggregates.periods import Window
from dashboard import data, live, maps, window_figures
from dashboard.exports import ExportView
from dashboard.incidents import IncidentsView
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    NO_DATA_MESSAGE,
    WardNames,
    export_buttons,
    forget_export,
    load_alerts,
    load_baselines,
    load_live,
    read_level_windows,
    read_or_report,
    show_exports,
    show_unusual,
    window_filter,
)
from dashboard.views.alerts import show_active
from geography.areas import Areas, load_areas
from safer.settings import Settings
from store.reader import (
    LiveSnapshot,
)


def show_freshness(snapshot: LiveSnapshot, now: datetime) -> None:
    st.subheader("Feed freshness")
    st.markdown("\n".join(f"- {line}" for line in data.freshness_lines(snapshot, now)))
    simulated = data.simulated_text(snapshot.simulated)
    if simulated:
        st.info(simulated)


def show_kpis(snapshot: LiveSnapshot) -> None:
    """All-time totals and dead letters (analyst: operational, exact)."""
    values = data.kpis(snapshot)
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, f"{value:,}", border=True)


def show_window_kpis(kpis: list[live.Kpi]) -> None:
    st.subheader("Recent windows")
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        # more incidents is the bad direction: red up, green down (the arrow is the non-colour cue)
        column.metric(
            kpi.label, kpi.value, delta=kpi.delta, delta_color="inverse", border=True, help=kpi.help
        )
        column.caption(kpi.help)


def show_wards(table: pd.DataFrame, window: Window) -> None:
    st.subheader(f"Incidents by ward — {window.label.lower()}")
    st.caption(window_figures.window_caption(window))
    if table.empty:
        st.info("No incidents for the selected sources in this window.")
        return
    st.dataframe(table, hide_index=True, width="stretch")


def show_categories(table: pd.DataFrame, window: Window) -> None:
    st.subheader(f"Incidents by category — {window.label.lower()}")
    summary = live.category_text(table)
    charted = table.dropna(subset=[data.INCIDENTS_COLUMN])
    if not charted.empty:
        st.bar_chart(
            charted,
            x=data.CATEGORY_COLUMN,
            y=data.INCIDENTS_COLUMN,
            horizontal=True,
            sort=f"-{data.INCIDENTS_COLUMN}",
            alt=summary,
        )
    st.caption(summary)


def show_incidents(view: IncidentsView) -> None:
    """The latest incidents, or (public) counts by category in their place."""
    st.subheader(view.heading)
    if view.note:
        st.caption(view.note)
    if view.table.empty:
        st.info(view.empty_text)
        return
    st.dataframe(view.table, hide_index=True, width="stretch")


MAP_REFRESH_S = 30.0


def _layer(kind: str, data: object, **props: object) -> pdk.Layer:
    """A filled, outlined, pickable map layer whose features carry their own ``fill`` (the
    GeoJSON features under ``properties``, unless ``props`` says otherwise)."""
    return pdk.Layer(
        kind,
        data,
        **({"pickable": True, "stroked": True, "filled": True, "get_fill_color": "fill"} | props),
    )


def map_panel(settings: Settings, who: Viewer, sources: list[str], window_slug: str) -> None:
    """Ward shading from our own boundary files, over background tiles only if
    ``SAFER_MAP_STYLE`` is set; its own fragment with a slower refresh, since the polygons
    are the page's heaviest payload."""
    role = who.role
    if not sources:
        return
    window = window_figures.window_for(role, datetime.now(UTC), window_slug)
    requests = tuple((level, window.span) for level in maps.levels_to_read(role))
    rows = read_or_report(settings, lambda store: read_level_windows(store, requests))
    if rows is None:
        return
    areas = load_areas(settings.partnership)
    cells = [window_figures.cells_of(r, sources) for r in rows]
    view = maps.map_view(cells, sorted(areas.ward_names), role)
    st.subheader(f"Map — {window.label.lower()}")
    st.pydeck_chart(deck(settings, areas, view), height=420)
    st.caption(maps.caption(view, areas.ward_names, role, MAP_REFRESH_S))


def deck(settings: Settings, areas: Areas, view: maps.MapView) -> pdk.Deck:
    """The map's layers: ward shading, then (analyst) grid squares and place dots."""
    layers = [
        _layer(
            "GeoJsonLayer",
            maps.geojson(areas, view.levels, areas.ward_names),
            get_fill_color="properties.fill",
            get_line_color=[255, 255, 255],
            line_width_min_pixels=0.5,
        )
    ]
    if view.squares:
        layers.append(
            _layer(
                "PolygonLayer",
                view.squares,
                id="grid-squares",
                get_polygon="polygon",
                get_line_color=[17, 17, 17],
                line_width_min_pixels=0.5,
            )
        )
    if view.points:
        layers.append(
            _layer(
                "ScatterplotLayer",
                view.points,
                id="places",
                get_position="position",
                get_radius="radius",
                radius_units="'meters'",  # quoted: pydeck makes a bare string an accessor
                radius_max_pixels=30,  # zoomed right in, dots stay dots
                get_line_color=[255, 255, 255],
                line_width_min_pixels=1,
            )
        )
    lat, lon = areas.centre
    return pdk.Deck(
        layers=layers,
        initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=10.3),
        # background tiles only when a style is set: the network may be closed
        map_provider="mapbox" if settings.map_style else None,
        map_style=settings.map_style or None,
        tooltip={"text": "{tooltip}"},
    )


def live_panel(
    settings: Settings, who: Viewer, sources: list[str], window_slug: str, ward_names: WardNames
) -> None:
    """Everything read from Redis; rerun by itself every refresh period."""
    role = who.role
    now = datetime.now(UTC)
    plan = live.live_plan(role, now, window_slug)
    selected = plan.selected
    read = load_live(settings, list(plan.spans))  # one round trip
    if read is None:
        return
    snapshot, rows = read
    st.caption(
        f"Updated {data.clock_time(now)} UK time; refreshes every "
        f"{settings.dashboard_refresh_s:g} s. Viewing as {role.value}."
    )
    if not data.has_data(snapshot):
        st.info(NO_DATA_MESSAGE)
        return
    found = load_alerts(settings)
    if found is not None:
        show_active(settings, who, found)
    show_freshness(snapshot, now)
    if role.exact:
        show_kpis(snapshot)
    if not sources:
        st.warning("No source selected: choose at least one in the sidebar.")
        return
    baselines = load_baselines(settings, plan.baseline_window)  # its own read, every 5 min
    judged = None if baselines is None else (baselines, settings.verdict_weeks)
    shown = live.live_figures(
        plan, rows, snapshot.latest, judged, sources, ward_names, role, data.TICKER_ROWS
    )
    kpis = shown.kpis
    show_window_kpis(kpis)
    if not role.exact:
        st.caption(SUM_CAVEAT)
    if len(sources) < len(data.ALL_SOURCES):
        st.caption("Filtered to: " + data.sources_text(sources))
    unusual = show_unusual(settings, plan.baseline_window, shown.unusual)
    wards, categories, incidents = shown.wards, shown.categories, shown.incidents
    show_wards(wards, selected)
    show_categories(categories, selected)
    show_incidents(incidents)
    export = ExportView(
        "Live",
        role,
        {
            "sources": data.sources_text(sources),
            "window": window_figures.window_caption(selected),
        },
        now,
        [
            ("Recent windows", live.kpi_frame(kpis)),
            ("Areas above normal", unusual),
            ("Incidents by ward", wards),
            ("Incidents by category", live.category_export(categories, role)),
            ("Latest incidents" if incidents.listed else "Latest day by category", incidents.table),
        ],
        window_figures.caveats(role),
    )
    show_exports(export, "live", {"source": sources, "window": window_slug})


def page(settings: Settings, who: Viewer, sources: list[str]) -> None:
    window_slug = window_filter(who.role)
    record_view(settings, who, "live", {"source": sources, "window": window_slug})
    ward_names = load_areas(settings.partnership).ward_names
    forget_export("live")
    panel = st.fragment(live_panel, run_every=settings.dashboard_refresh_s)
    panel(settings, who, sources, window_slug, ward_names)
    export_buttons(settings, who, "live")
    drawn = st.fragment(map_panel, run_every=MAP_REFRESH_S)
    drawn(settings, who, sources, window_slug)
