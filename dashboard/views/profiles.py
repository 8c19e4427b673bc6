"""The Profiles page: category by one dimension, and repeats for the analyst."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from aggregates.periods import Period
from dashboard import profiles, window_figures
from dashboard.exports import ExportView
from dashboard.filters import WardNames, period_params, query_choice, window_filter
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    SLOW_TTL_S,
    Store,
    export_buttons,
    forget_export,
    need_sources,
    read_or_report,
    read_repeats,
    read_windows,
    show_exports,
)
from geography.areas import load_areas
from safer.settings import Settings
from store.reader import RepeatCounts, WindowRow

Repeats = dict[tuple[str, str], RepeatCounts]
Tables = list[tuple[str, pd.DataFrame]]
BREAKDOWN_PARAM = "breakdown"


def profiles_panel(
    settings: Settings,
    who: Viewer,
    sources: Selection,
    period: Period,
    breakdown: str,
    ward_names: WardNames,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    window = window_figures.window_for(role, now, period)

    def read(store: Store) -> tuple[tuple[WindowRow, ...], Repeats]:
        rows = read_windows(store, (window.span,), "ward", breakdown)[0]
        if not role.restricted:  # restricted figures are never read for other roles
            return rows, {}
        return rows, read_repeats(store, window.start, window.end)

    found = read_or_report(settings, read)
    if found is None:
        return
    rows, repeats = found
    title = profiles.BREAKDOWNS[breakdown]
    st.subheader(f"{title} — {window_figures.in_sentence(window.label)}")
    st.caption(profiles.caption(window, role))
    tables = show_profile(title, profiles.profile_table(rows, sources, role))
    if role.restricted:
        tables += show_repeats(profiles.repeats_table(repeats, ward_names))
    if not tables:
        return
    export = ExportView(
        "Profiles",
        role,
        {
            **sources.export_filters(),
            "window": window_figures.window_caption(window),
            "breakdown": title,
        },
        now,
        tables,
        window_figures.caveats(role),
    )
    show_exports(
        export,
        "profiles",
        {**sources.params(), **period_params(period), "breakdown": breakdown},
    )


def show_profile(title: str, table: pd.DataFrame) -> Tables:
    """The 'all categories' chart and the category by value table (none: a note)."""
    if table.empty:
        st.info("Nothing recorded for this breakdown in this window.")
        return []
    bars = profiles.chart_frame(table)
    text = profiles.chart_text(bars)
    if not bars.empty:
        st.bar_chart(bars, x="Value", y="Incidents", horizontal=True, alt=text)
    st.caption(profiles.chart_caption(title, text))
    st.dataframe(table, hide_index=True, width="stretch")
    return [(title, table)]


def show_repeats(table: pd.DataFrame) -> Tables:
    """Restricted (analyst): repeat callers and locations per ward."""
    st.subheader("Repeat callers and repeat locations (restricted)")
    st.caption(
        "Pseudonymised caller and location references seen at least twice (and three "
        "or more times) in the window, per ward: counts only, never the references."
    )
    if table.empty:
        st.info("No repeat callers or locations in this window.")
        return []
    st.dataframe(table, hide_index=True, width="stretch")
    return [("Repeat callers and locations", table)]


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    ward_names = load_areas(settings.partnership).ward_names
    period = window_filter(who.role)
    breakdown = query_choice(BREAKDOWN_PARAM, "Breakdown", profiles.BREAKDOWNS, "youth")
    filters = {**sources.params(), **period_params(period), "breakdown": breakdown}
    record_view(settings, who, "profiles", filters)
    if need_sources(sources):
        forget_export("profiles")
        prof = st.fragment(profiles_panel, run_every=SLOW_TTL_S)
        prof(settings, who, sources, period, breakdown, ward_names)
        export_buttons(settings, who, "profiles")
