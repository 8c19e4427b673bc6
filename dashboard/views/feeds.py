"""The Feeds page: when each partner feed last delivered, and (analyst) the all-time totals
and dead letters — the pipeline's health, off the control-room screen (Live says only how
long ago each feed delivered)."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard import data
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import NO_DATA_MESSAGE, SNAPSHOT_TTL_S, load_live
from safer.settings import Settings

# no code style in a caption: its grey on the code background fails WCAG contrast
DEAD_LETTER_NOTE = (
    "Dead-lettered: messages the worker refused (malformed, personal data, unknown area…), "
    "kept with their reason and original bytes on the dead-letter topic; the command "
    "'safer tail deadletter' lists them."
)


def feeds_panel(settings: Settings, who: Viewer) -> None:
    now = datetime.now(UTC)
    read = load_live(settings, [])
    if read is None:
        return
    snapshot, _ = read
    st.caption(f"Updated {data.clock_time(now)} UK time. Viewing as {who.role.value}.")
    if not data.has_data(snapshot):
        st.info(NO_DATA_MESSAGE)
        return
    st.subheader("Feed freshness")
    st.markdown("\n".join(f"- {line}" for line in data.freshness_lines(snapshot, now)))
    if not who.role.exact:
        return
    st.subheader("Counted since the log began")
    values = data.kpis(snapshot)
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, f"{value:,}", border=True)
    st.caption(DEAD_LETTER_NOTE)


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    record_view(settings, who, "feeds", {})
    st.fragment(feeds_panel, run_every=max(settings.dashboard_refresh_s, SNAPSHOT_TTL_S))(
        settings, who
    )
