"""The Hot-spot times page: hour of day by day of week (aoristic)."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st

from aggregates.disclosure import Role
from aggregates.periods import MONTH_WINDOWS
from dashboard import hotspots
from dashboard.exports import ExportView
from dashboard.filters import ALL_AREAS, WardNames, area_filter, query_choice, whole_area
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    SLOW_TTL_S,
    export_buttons,
    forget_export,
    need_sources,
    read_or_report,
    read_profile,
    show_exports,
)
from geography.areas import load_areas
from safer.settings import Settings

SPAN_PARAM = "span"


def hotspots_panel(
    settings: Settings,
    who: Viewer,
    sources: Selection,
    span_slug: str,
    area: str,
    ward_names: WardNames,
    whole: str,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    span = hotspots.span_for(span_slug, now, role)
    chosen = None if area == ALL_AREAS else area
    level = hotspots.level_of(chosen)
    profiles = read_or_report(
        settings, lambda store: read_profile(store, level, span.start, span.end)
    )
    if profiles is None:
        return
    weights, counts = hotspots.selected_weights(
        profiles, None if chosen is None else [chosen], sources
    )
    place = hotspots.place_name(chosen, ward_names, whole)
    st.subheader(f"When incidents happen — {place}")
    st.caption(
        f"{span.label}. Incidents known only as a time range are spread evenly over its "
        "hours (aoristic), never put at the midpoint."
    )
    if not hotspots.enough(counts, role):
        st.info(hotspots.too_few_text(role))
        return
    table = hotspots.week_table(weights, role)
    text = hotspots.busiest_text(weights, role)
    st.altair_chart(heatmap(table, role), width="stretch")
    st.caption(text)
    wide = hotspots.wide(table)
    with st.expander("The same as a table"):
        st.dataframe(wide, width="stretch")
    export = ExportView(
        "Hot-spot times",
        role,
        {
            **sources.export_filters(),
            "area": place,
            "period": span.label,
        },
        now,
        [("Hour of day by day of week", wide.reset_index())],
        hotspots.export_caveats(text, role),
    )
    show_exports(export, "hotspots", {**sources.params(), "span": span_slug, "area": area})


def heatmap(table: pd.DataFrame, role: Role) -> alt.Chart:
    """Hour of day by day of week, coloured by expected incidents (analyst) or band."""
    if role.exact:
        colour = alt.Color("Incidents:Q", scale=alt.Scale(scheme="viridis"), title="Incidents")
        tooltip = ["Day", "Hour", "Incidents"]
    else:
        colour = alt.Color(
            "Level:O", scale=alt.Scale(domain=list(hotspots.BANDS), scheme="viridis"), title="Level"
        )
        tooltip = ["Day", "Hour", "Level"]
    chart: alt.Chart = (
        alt.Chart(table)
        .mark_rect()
        .encode(
            x=alt.X("Hour:O", title="Hour of day (UK time)"),
            y=alt.Y("Day:O", sort=list(hotspots.DAYS), title=None),
            color=colour,
            tooltip=tooltip,
        )
        .properties(height=260)
    )
    return chart


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    areas = load_areas(settings.partnership)
    ward_names, whole = areas.ward_names, whole_area(areas)
    spans = {slug: label for slug, (label, _) in MONTH_WINDOWS.items()}
    span_slug = query_choice(SPAN_PARAM, "Period", spans, "12m")
    area = area_filter(ward_names, f"Whole {whole}")
    record_view(settings, who, "hotspots", {**sources.params(), "span": span_slug, "area": area})
    if need_sources(sources):
        forget_export("hotspots")
        spots = st.fragment(hotspots_panel, run_every=SLOW_TTL_S)
        spots(settings, who, sources, span_slug, area, ward_names, whole)
        export_buttons(settings, who, "hotspots")
