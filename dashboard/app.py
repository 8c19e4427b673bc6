"""safer-tracker — live: the control-room page (``streamlit run dashboard/app.py``).

Settings are built once here (``SAFER_*``), the Redis client lives in ``st.cache_resource``,
reads go through ``store.reader`` in ``st.cache_data`` and the live panel reruns itself in
``st.fragment(run_every=SAFER_DASHBOARD_REFRESH_S)``. The source filter is mirrored into the
URL (``?source=police&source=fire``) so a view is a shareable link; all sources = no parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import streamlit as st
from redis import Redis
from redis.exceptions import RedisError

from dashboard import data
from safer.errors import ConfigError
from safer.geography import load_areas
from safer.settings import Settings, load_settings
from store.keys import Keys
from store.reader import LiveSnapshot, StoreReader

WardNames = Mapping[str, str]
PAGE_TITLE = "safer-tracker — live"
SOURCE_PARAM = "source"
SOURCE_STATE = "sources"
# Shorter than any sensible refresh period: concurrent viewers share one Redis read.
SNAPSHOT_TTL_S = 1.0
REDIS_TIMEOUT_S = 2.0
NO_DATA_MESSAGE = (
    "No data yet: nothing has been counted in this deployment. Start the local stack with "
    "`safer up`, or check that the stream worker is running. This page refreshes by itself."
)


@st.cache_resource(show_spinner=False)
def redis_client(url: str) -> Redis:
    """One client (and connection pool) per Redis URL, shared by every session."""
    timeout = REDIS_TIMEOUT_S
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


@st.cache_data(ttl=SNAPSHOT_TTL_S, show_spinner=False)
def read_snapshot(url: str, prefix: str, latest: int) -> LiveSnapshot:
    return StoreReader(redis_client(url), Keys(prefix)).live_snapshot(latest=latest)


def source_filter() -> list[str]:
    """Sidebar multiselect of sources, seeded from and mirrored into ``?source=...``."""
    if SOURCE_STATE not in st.session_state:
        from_url = data.parse_sources(st.query_params.get_all(SOURCE_PARAM))
        st.session_state[SOURCE_STATE] = from_url or list(data.ALL_SOURCES)
    selected = st.sidebar.multiselect(
        "Sources shown",
        options=list(data.ALL_SOURCES),
        format_func=data.source_label,
        key=SOURCE_STATE,
        help="Filters the ward table, category chart and latest incidents.",
    )
    sources = data.parse_sources(selected)
    if sources and len(sources) < len(data.ALL_SOURCES):
        st.query_params[SOURCE_PARAM] = sources
    elif SOURCE_PARAM in st.query_params:
        del st.query_params[SOURCE_PARAM]
    return sources


def load_snapshot(settings: Settings) -> LiveSnapshot | None:
    """The current snapshot, or None after showing why it cannot be read."""
    try:
        url = settings.require_redis()
        return read_snapshot(url, settings.redis_prefix, settings.latest_incidents)
    except ConfigError as exc:
        st.error(f"Redis is not configured: {exc}.")
    except RedisError as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
    return None


def show_freshness(snapshot: LiveSnapshot, now: datetime) -> None:
    st.subheader("Feed freshness")
    st.markdown("\n".join(f"- {line}" for line in data.freshness_lines(snapshot, now)))


def show_kpis(snapshot: LiveSnapshot) -> None:
    values = data.kpis(snapshot)
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, f"{value:,}", border=True)


def show_wards(snapshot: LiveSnapshot, ward_names: WardNames, sources: Sequence[str]) -> None:
    st.subheader("Incidents by ward")
    table = data.ward_table(snapshot, ward_names, sources)
    if table.empty:
        st.info("No incidents for the selected sources.")
        return
    st.dataframe(table, hide_index=True, width="stretch")


def show_categories(snapshot: LiveSnapshot, sources: Sequence[str]) -> None:
    st.subheader("Incidents by category")
    table = data.category_table(snapshot, sources)
    summary = data.category_summary(table)
    if not table.empty:
        st.bar_chart(
            table,
            x=data.CATEGORY_COLUMN,
            y=data.INCIDENTS_COLUMN,
            horizontal=True,
            sort=f"-{data.INCIDENTS_COLUMN}",
            alt=summary,
        )
    st.caption(summary)


def show_ticker(snapshot: LiveSnapshot, ward_names: WardNames, sources: Sequence[str]) -> None:
    st.subheader(f"Latest incidents (newest first, up to {data.TICKER_ROWS})")
    table = data.ticker_table(snapshot, ward_names, sources)
    if table.empty:
        st.info("No recent incidents for the selected sources.")
        return
    st.dataframe(table, hide_index=True, width="stretch")


def live_panel(settings: Settings, sources: list[str], ward_names: WardNames) -> None:
    """Everything read from Redis; rerun by itself every refresh period."""
    snapshot = load_snapshot(settings)
    if snapshot is None:
        return
    now = datetime.now(UTC)
    st.caption(
        f"Updated {data.clock_time(now)} UK time; refreshes every "
        f"{settings.dashboard_refresh_s:g} s."
    )
    if not data.has_data(snapshot):
        st.info(NO_DATA_MESSAGE)
        return
    show_freshness(snapshot, now)
    show_kpis(snapshot)
    if not sources:
        st.warning("No source selected: choose at least one in the sidebar.")
        return
    if len(sources) < len(data.ALL_SOURCES):
        st.caption("Filtered to: " + ", ".join(data.source_label(s) for s in sources))
    show_wards(snapshot, ward_names, sources)
    show_categories(snapshot, sources)
    show_ticker(snapshot, ward_names, sources)


def main() -> None:
    st.set_page_config(page_title=PAGE_TITLE, layout="wide")
    settings = load_settings()
    st.title(PAGE_TITLE)
    sources = source_filter()
    ward_names = load_areas(settings.partnership).ward_names
    panel = st.fragment(live_panel, run_every=settings.dashboard_refresh_s)
    panel(settings, sources, ward_names)


if __name__ == "__main__":
    main()
