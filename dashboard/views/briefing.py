"""The Overnight briefing page: what happened since a chosen time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from aggregates.disclosure import SUM_CAVEAT
from dashboard import briefing, data, window_figures
from dashboard.exports import ExportView
from dashboard.filters import WardNames
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    SLOW_TTL_S,
    export_buttons,
    forget_export,
    load_live,
    need_sources,
    show_above_normal,
    show_exports,
)
from geography.areas import load_areas
from safer.settings import Settings
from schemas.calendar import LONDON

SINCE_PARAM = "since"
SINCE_DAYS = 14


def since_filter(now: datetime) -> datetime:
    """The analyst's briefing start (default 18:00 yesterday), mirrored into ``?since=``: a
    day of the last two weeks and a whole hour (select boxes: Streamlit's date and time
    pickers have touch targets below WCAG 2.2's 24 px)."""
    today = now.astimezone(LONDON).date()
    days = [today - timedelta(days=i) for i in range(SINCE_DAYS)]
    if "since-day" not in st.session_state:
        try:
            wanted = datetime.fromisoformat(st.query_params.get(SINCE_PARAM, ""))
            start = wanted.replace(tzinfo=LONDON) if wanted.tzinfo is None else wanted
        except ValueError:
            start = briefing.default_since(now)
        start = start.astimezone(LONDON)
        if start.date() not in days:
            start = briefing.default_since(now).astimezone(LONDON)
        st.session_state["since-day"], st.session_state["since-hour"] = start.date(), start.hour
    day = st.sidebar.selectbox(
        "Since (day)", days, format_func=lambda d: f"{d:%a %d %b}", key="since-day"
    )
    hour = st.sidebar.selectbox(
        "Since (time, UK)", list(range(24)), format_func=lambda h: f"{h:02d}:00", key="since-hour"
    )
    since = briefing.since_from(day, time(hour))
    st.query_params[SINCE_PARAM] = since.strftime("%Y-%m-%dT%H:%M")
    return since


def briefing_panel(
    settings: Settings,
    who: Viewer,
    sources: Selection,
    since: datetime | None,
    ward_names: WardNames,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    window = briefing.briefing_window(now, role, since)
    read = load_live(settings, [(window.start, window.end)])  # one round trip
    if read is None:
        return
    snapshot, rows = read
    cells = window_figures.cells_of(rows[0], sources)
    st.subheader(window.label)
    st.caption(
        f"Prepared {data.local_time(now)} UK time for {role.value} use. "
        + ("" if role.exact else "Outside the analyst role the briefing covers yesterday. ")
        + ("" if role.exact else SUM_CAVEAT)
    )
    by_source = briefing.counts_by_source(cells, role)
    st.markdown("**" + briefing.summary_text(by_source, window) + "**")
    left, right = st.columns(2)
    left.markdown("**By source**")
    left.dataframe(by_source, hide_index=True, width="stretch")
    by_category = briefing.counts_by_category(cells, role)
    right.markdown("**By category**")
    right.dataframe(by_category, hide_index=True, width="stretch")
    notable = briefing.notable(snapshot.latest, cells, window, ward_names, sources, role)
    st.markdown(f"**{notable.heading}**")
    if notable.note:
        st.caption(notable.note)
    if notable.table.empty:
        st.info("No notable incidents among the latest received in this window.")
    else:
        st.dataframe(notable.table, hide_index=True, width="stretch")
    unusual = show_above_normal(settings, window, cells, sources, ward_names, role)
    export = ExportView(
        "Overnight briefing",
        role,
        {**sources.export_filters(), "window": window.label},
        now,
        [
            ("By source", by_source),
            ("By category", by_category),
            ("Notable incidents", notable.table),
            ("Areas above normal", unusual),
        ],
        window_figures.caveats(role),
    )
    show_exports(export, "briefing", {**sources.params(), "since": window.label})


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    ward_names = load_areas(settings.partnership).ward_names
    since = since_filter(datetime.now(UTC)) if who.role.exact else None
    record_view(settings, who, "briefing", {**sources.params(), "since": str(since or "yesterday")})
    if need_sources(sources):
        forget_export("briefing")
        brief = st.fragment(briefing_panel, run_every=SLOW_TTL_S)
        brief(settings, who, sources, since, ward_names)
        export_buttons(settings, who, "briefing")
