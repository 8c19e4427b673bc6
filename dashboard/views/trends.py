"""The Trends page: daily, weekly and monthly series with the year before."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import streamlit as st

from aggregates.disclosure import SUM_CAVEAT
from dashboard import trends, window_figures
from dashboard.exports import ExportView
from dashboard.filters import query_choice
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    SLOW_TTL_S,
    export_buttons,
    forget_export,
    need_sources,
    read_bucket_totals,
    read_or_report,
    show_exports,
)
from safer.settings import Settings

GRAIN_PARAM = "grain"


def trends_panel(settings: Settings, who: Viewer, sources: Selection, grain: str) -> None:
    role = who.role
    now = datetime.now(UTC)
    series = trends.periods(grain, now, to_today=role.exact)
    buckets = trends.buckets_to_read(series)
    read = read_or_report(settings, lambda store: read_bucket_totals(store, tuple(buckets)))
    if read is None:
        return
    frame = trends.series_frame(series, dict(zip(buckets, read, strict=True)), sources, role)
    st.subheader(f"{trends.GRAINS[grain]} incidents and the year before")
    st.caption(trends.NOTE[grain] + ("" if role.exact else " " + SUM_CAVEAT))
    text = trends.summary(frame, grain)
    long = trends.long_frame(frame)
    if not long.empty:
        chart = (
            alt.Chart(long)
            .mark_line(point=True)
            .encode(
                x=alt.X(f"{trends.PERIOD}:O", sort=None, title=None),
                y=alt.Y("n:Q", title="Incidents"),
                color=alt.Color(
                    "Series:N",
                    scale=alt.Scale(
                        domain=[trends.INCIDENTS, trends.YEAR_EARLIER],
                        range=["#1d4f91", "#b35806"],  # blue and orange: colour-blind safe
                    ),
                ),
                strokeDash=alt.StrokeDash(  # a non-colour cue: the year before is dashed
                    "Series:N",
                    scale=alt.Scale(
                        domain=[trends.INCIDENTS, trends.YEAR_EARLIER], range=[[1, 0], [6, 4]]
                    ),
                ),
                tooltip=[trends.PERIOD, "Series", "n"],
            )
            .properties(height=320)
        )
        st.altair_chart(chart, width="stretch")
    st.caption(text)
    shown = frame.drop(columns=[trends.INCIDENTS, trends.YEAR_EARLIER])
    st.dataframe(shown.iloc[::-1], hide_index=True, width="stretch")
    export = ExportView(
        "Trends",
        role,
        {
            **sources.export_filters(),
            "series": trends.GRAINS[grain],
        },
        now,
        [(f"{trends.GRAINS[grain]} series", shown)],
        [trends.NOTE[grain], *window_figures.caveats(role)],
        charts={f"{trends.GRAINS[grain]} series": trends.export_chart()},
        captions={f"{trends.GRAINS[grain]} series": text},
    )
    show_exports(export, "trends", {**sources.params(), "grain": grain})


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    grain = query_choice(GRAIN_PARAM, "Series", trends.GRAINS, "month")
    record_view(settings, who, "trends", {**sources.params(), "grain": grain})
    if need_sources(sources):
        forget_export("trends")
        panel = st.fragment(trends_panel, run_every=SLOW_TTL_S)
        panel(settings, who, sources, grain)
        export_buttons(settings, who, "trends")
