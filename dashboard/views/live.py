"""The Live page, the control-room screen: one screen (1440×900 and 1920×1080, no scrolling)
with freshness, active alerts and the headline windows with their change across the top,
the ward map on the left (its own fragment, rerun every ``MAP_REFRESH_S``: its polygons are
the heaviest payload) and, on the right, the areas above normal and the latest incidents,
rerun every ``SAFER_DASHBOARD_REFRESH_S``. Ward and category tables are the Area
drill-down's, feed health the Feeds page's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
import pydeck as pdk
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from aggregates.disclosure import SUM_CAVEAT
from aggregates.periods import Period, Window
from dashboard import data, layout, live, maps, window_figures
from dashboard.above_normal import AboveNormal
from dashboard.exports import ExportView
from dashboard.filters import WardNames, period_params, window_filter
from dashboard.incidents import IncidentsView
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    NO_DATA_MESSAGE,
    export_buttons,
    forget_export,
    load_alerts,
    load_baselines,
    load_live,
    read_level_windows,
    read_or_report,
    show_exports,
    show_map_export,
)
from dashboard.views.alerts import show_active
from geography.areas import Areas, load_areas
from safer.settings import Settings
from store.reader import LiveSnapshot, WindowRow

ALERTS_SHOWN = 2
"""Active alerts listed on the screen (newest first); the rest are a link away."""
UNUSUAL_ROWS = 4
INCIDENT_ROWS_PX = {False: 190, True: 380}  # the page's, the wall's (1920×1080)
MAP_PX = {False: 370, True: 600}
SIDE_PX = {False: 640, True: 900}
"""The right-hand column's height: the map's column (windows, map, legend) beside it."""


def status_line(snapshot: LiveSnapshot, now: datetime, role_name: str, refresh_s: float) -> str:
    """'Updated 18:05:27 UK time · refreshes every 3 s · viewing as analyst · latest
    arrivals: Police 51 s ago, Council 1 min ago, Fire nothing yet'."""
    arrivals = ", ".join(
        f"{data.source_label(f.source)} "
        + ("nothing yet" if f.latest_received is None else data.ago_text(f.latest_received, now))
        for f in snapshot.freshness
    )
    return (
        f"Updated {data.clock_time(now)} UK time · refreshes every {refresh_s:g} s · "
        f"Viewing as {role_name} · latest arrivals: {arrivals}"
    )


def show_window_kpis(kpis: list[live.Kpi]) -> None:
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        # more incidents is the bad direction: red up, green down (the arrow is the non-colour cue)
        column.metric(
            kpi.label, kpi.value, delta=kpi.delta, delta_color="inverse", border=True, help=kpi.help
        )


def show_unusual(found: AboveNormal | None, window: Window, needed_text: str) -> pd.DataFrame:
    """The wards furthest above their normal level (at most ``UNUSUAL_ROWS``), or what
    history there is while a verdict cannot be given yet; returns the table for the export."""
    st.subheader(f"Above normal — {window_figures.in_sentence(window.label)}", help=needed_text)
    if found is None:
        return pd.DataFrame()
    history, table = found.history, found.table
    if table.empty:
        st.caption(
            "No ward is above its normal level in this window."
            if history.enough
            else f"No verdicts yet: the feeds have covered {history.covered} of the "
            f"{history.needed} past weeks a verdict needs ({history.text})."
        )
        return table
    st.dataframe(table.head(UNUSUAL_ROWS), hide_index=True, width="stretch")
    return table


def show_incidents(view: IncidentsView) -> None:
    """The latest incidents, or (public) counts by category in their place."""
    st.subheader(view.heading, help=view.note or None)
    if view.table.empty:
        st.info(view.empty_text)
        return
    height = INCIDENT_ROWS_PX[layout.on_wall()]
    st.dataframe(view.table, hide_index=True, width="stretch", height=height)


MAP_REFRESH_S = 30.0


def _layer(kind: str, data: object, **props: object) -> pdk.Layer:
    """A filled, outlined, pickable map layer whose features carry their own ``fill`` (the
    GeoJSON features under ``properties``, unless ``props`` says otherwise)."""
    return pdk.Layer(
        kind,
        data,
        **({"pickable": True, "stroked": True, "filled": True, "get_fill_color": "fill"} | props),
    )


def map_panel(settings: Settings, who: Viewer, sources: Selection, period: Period) -> None:
    """Ward shading from our own boundary files, over background tiles only if
    ``SAFER_MAP_STYLE`` is set; its own fragment with a slower refresh, since the polygons
    are the page's heaviest payload."""
    role = who.role
    if not sources:
        return
    window = window_figures.window_for(role, datetime.now(UTC), period)
    requests = tuple((level, window.span) for level in maps.levels_to_read(role))
    rows = read_or_report(settings, lambda store: read_level_windows(store, requests))
    if rows is None:
        return
    areas = load_areas(settings.partnership)
    cells = [window_figures.cells_of(r, sources) for r in rows]
    view = maps.map_view(cells, sorted(areas.ward_names), role)
    label = window_figures.in_sentence(window.label)
    st.subheader(f"Map — {label}")
    st.pydeck_chart(deck(settings, areas, view), height=MAP_PX[layout.on_wall()])
    show_map_export("live", maps.picture(areas, view, areas.ward_names, f"Map — {label}"))
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
    settings: Settings,
    who: Viewer,
    sources: Selection,
    period: Period,
    ward_names: WardNames,
    boxes: tuple[DeltaGenerator, DeltaGenerator],
) -> None:
    """Everything read from Redis but the map; rerun by itself every refresh period. The
    status goes across the top and the headline windows above the map (``boxes``), the
    alerts and the rest in this column."""
    role = who.role
    now = datetime.now(UTC)
    plan = live.live_plan(role, now, period)
    read = load_live(settings, list(plan.spans))  # one round trip
    if read is None:
        return
    snapshot, rows = read
    figures = _head(settings, who, sources, plan, snapshot, rows, now, boxes)
    if figures is None:
        return
    unusual = show_unusual(
        figures.unusual,
        plan.baseline_window,
        f"Against the same hours in each of the previous {settings.baseline_weeks} weeks "
        "the feeds covered; more than one spread above the usual level is 'above normal', "
        f"two 'well', three 'far'. A verdict needs {settings.verdict_weeks} weeks of history.",
    )
    show_incidents(figures.incidents)
    export = ExportView(
        "Live",
        role,
        {
            **sources.export_filters(),
            "window": window_figures.window_caption(plan.selected),
        },
        now,
        [
            ("Recent windows", live.kpi_frame(figures.kpis)),
            (f"Above normal — {window_figures.in_sentence(plan.baseline_window.label)}", unusual),
            (
                "Latest incidents" if figures.incidents.listed else "Latest day by category",
                figures.incidents.table,
            ),
        ],
        window_figures.caveats(role),
    )
    show_exports(export, "live", {**sources.params(), **period_params(period)})


def _head(
    settings: Settings,
    who: Viewer,
    sources: Selection,
    plan: live.LivePlan,
    snapshot: LiveSnapshot,
    rows: Sequence[tuple[WindowRow, ...]],
    now: datetime,
    boxes: tuple[DeltaGenerator, DeltaGenerator],
) -> live.LiveFigures | None:
    """The status line, the headline windows and the alerts; the figures for the rest, or
    None when there are none."""
    role = who.role
    head, windows = boxes
    status = status_line(snapshot, now, role.value, settings.dashboard_refresh_s)
    simulated = data.simulated_text(snapshot.simulated)
    head.caption(status + (f". {simulated}" if simulated else ""))
    if not data.has_data(snapshot):
        head.info(NO_DATA_MESSAGE)
        return None
    found = load_alerts(settings)
    if found is not None:
        show_active(settings, who, found, limit=ALERTS_SHOWN)
    if not sources:
        st.warning("No source selected: choose at least one in the sidebar.")
        return None
    baselines = load_baselines(settings, plan.baseline_window)  # its own read, every 5 min
    judged = None if baselines is None else (baselines, settings.verdict_weeks)
    figures = live.live_figures(
        plan,
        rows,
        snapshot.latest,
        judged,
        sources,
        ward_names_of(settings),
        role,
        data.TICKER_ROWS,
    )
    notes = [live.CHANGE_NOTE] + ([] if role.exact else [SUM_CAVEAT])
    narrowed = sources.narrowed_text()
    if narrowed:
        notes.append(narrowed)
    with windows:
        show_window_kpis(figures.kpis)
        if notes:
            st.caption(" ".join(notes))
    return figures


def ward_names_of(settings: Settings) -> WardNames:
    return load_areas(settings.partnership).ward_names


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    period = window_filter(who.role)
    record_view(settings, who, "live", {**sources.params(), **period_params(period)})
    ward_names = ward_names_of(settings)
    forget_export("live")
    head = st.container()
    left, right = st.columns([3, 2], gap="medium")
    windows = left.container()
    for box in (head, windows):
        box.empty()  # an outside container a fragment writes to needs a write in the full run
    # a fixed height: however many alerts and however long their sentences, the screen
    # does not scroll (the column does, inside)
    with right.container(height=SIDE_PX[layout.on_wall()], border=False):
        panel = st.fragment(live_panel, run_every=settings.dashboard_refresh_s)
        panel(settings, who, sources, period, ward_names, (head, windows))
    with left:
        drawn = st.fragment(map_panel, run_every=MAP_REFRESH_S)
        drawn(settings, who, sources, period)
    export_buttons(settings, who, "live")
