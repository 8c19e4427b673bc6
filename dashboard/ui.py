"""Shared Streamlit pieces of the dashboard's pages: the Redis client, cached reads through
``store.reader`` (one round trip each), exports and the areas-above-normal panel (the
sidebar's choices are ``dashboard.filters``'s). Settings are built once per run
(``SAFER_*``); the Redis client lives in ``st.cache_resource`` and reads in
``st.cache_data`` with short lifetimes, so concurrent viewers share reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
import streamlit as st
from redis import Redis
from redis.exceptions import RedisError

from aggregates.buckets import Bucket
from aggregates.disclosure import Role
from aggregates.periods import Window
from dashboard import data
from dashboard.above_normal import BASELINE_TTL_S, AboveNormal, above_normal
from dashboard.access import AuditLog
from dashboard.exports import FORMATS, ExportView, MapPicture, render
from dashboard.filters import WardNames
from dashboard.selection import Selection
from dashboard.session import Viewer
from dashboard.window_figures import Cells, in_sentence
from safer.errors import ConfigError
from safer.runtime import tune_gc
from safer.settings import Settings
from store.alert_state import AlertSnapshot, AlertStore
from store.keys import Keys
from store.reader import (
    Baselines,
    LiveSnapshot,
    RepeatCounts,
    StoreReader,
    WindowRow,
    partnership_authorities,
)
from store.simulated import SimulatedHistory, read_history

T = TypeVar("T")
# Shorter than any sensible refresh period: concurrent viewers share one Redis read.
SNAPSHOT_TTL_S = 1.0
# Past days and months, profiles: a slower refresh is plenty.
SLOW_TTL_S = 30.0
REDIS_TIMEOUT_S = 2.0
NO_DATA_MESSAGE = (
    "No data yet: nothing has been counted in this deployment. Start the local stack with "
    "`safer up`, or check that the stream worker is running. This page refreshes by itself."
)


@st.cache_resource(show_spinner=False)
def tune_server() -> bool:
    """Once per server process, after the first run has imported everything: freeze what
    exists out of the cyclic collector and collect the young generation less often
    (``safer.runtime.tune_gc``). Untuned, a full collection rescans Streamlit's, pandas'
    and pyarrow's objects and stalls a refresh by 100–200 ms now and then
    (``bench/live_refresh.py``)."""
    tune_gc()
    return True


@st.cache_resource(show_spinner=False)
def redis_client(url: str) -> Redis:
    """One client (and connection pool) per Redis URL, shared by every session."""
    timeout = REDIS_TIMEOUT_S
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


@dataclass(frozen=True, slots=True)
class Store:
    """Where the aggregates are: Redis URL, key prefix and the partnership's authorities
    (plain values, so the cached reads below key on them)."""

    url: str
    prefix: str
    authorities: tuple[str, ...]

    @classmethod
    def of(cls, settings: Settings) -> Store:
        authorities = partnership_authorities(settings)
        return cls(settings.require_redis(), settings.redis_prefix, authorities)

    def reader(self) -> StoreReader:
        return StoreReader(redis_client(self.url), Keys(self.prefix), self.authorities)

    def alerts(self) -> AlertStore:
        return AlertStore(redis_client(self.url), Keys(self.prefix))


@st.cache_data(ttl=SNAPSHOT_TTL_S, show_spinner=False)
def read_windows(
    store: Store,
    spans: tuple[tuple[int, int], ...],
    level: str = "ward",
    breakdown: str = "cat",
) -> list[tuple[WindowRow, ...]]:
    """(area, category[, value]) rows of each span at a level (default ward), in one round
    trip."""
    return store.reader().windows(level, list(spans), breakdown, unplaced=False)


@st.cache_data(ttl=SNAPSHOT_TTL_S, show_spinner=False)
def read_level_windows(
    store: Store, requests: tuple[tuple[str, tuple[int, int]], ...]
) -> list[tuple[WindowRow, ...]]:
    """(area, category) rows of several (level, window) pairs, in one round trip."""
    return store.reader().level_windows(list(requests), unplaced=False)


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def read_repeats(store: Store, start: int, end: int) -> dict[tuple[str, str], RepeatCounts]:
    """Restricted (analyst): repeat callers and locations per ward."""
    return store.reader().repeats("ward", start, end)


@st.cache_data(ttl=BASELINE_TTL_S, show_spinner=False)
def read_baseline(store: Store, start: int, end: int, weeks: int) -> Baselines:
    """Ward-level baselines of a window (the same window in each of the previous ``weeks``
    weeks) and which of those weeks the feeds covered."""
    return store.reader().baseline("ward", start, end, weeks)


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def read_bucket_totals(store: Store, buckets: tuple[Bucket, ...]) -> list[tuple[WindowRow, ...]]:
    """Ward-level (ward, category) rows of each day or month bucket, in one round trip."""
    return store.reader().bucket_totals("ward", list(buckets))


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def read_profile(
    store: Store, level: str, start: int, end: int
) -> dict[tuple[str, str], tuple[float, ...]]:
    return store.reader().profile(level, start, end)


@st.cache_data(ttl=SLOW_TTL_S, show_spinner=False)
def read_simulated(store: Store) -> SimulatedHistory | None:
    """The simulated history the log holds (``store.simulated``), if any."""
    return read_history(redis_client(store.url), Keys(store.prefix))


def show_simulated_note(settings: Settings) -> None:
    """The note that the figures include simulated history, when they do (the Live page has
    it in its freshness banner). Unreadable: nothing here, the page itself says why."""
    try:
        history = read_simulated(Store.of(settings))
    except (ConfigError, RedisError):
        return
    text = data.simulated_text(history)
    if text:
        st.info(text)


@st.cache_data(ttl=SNAPSHOT_TTL_S, show_spinner=False)
def read_live(
    store: Store, latest: int, spans: tuple[tuple[int, int], ...]
) -> tuple[LiveSnapshot, list[tuple[WindowRow, ...]]]:
    """The Live page's refresh: snapshot and ward-level windows in one round trip."""
    return store.reader().live_view(latest, "ward", list(spans), unplaced=False)


def read_or_report(settings: Settings, read: Callable[[Store], T]) -> T | None:
    """``read(store)``, or None after showing why Redis cannot be read (not configured, or
    unreachable: the panel's next refresh tries again)."""
    try:
        return read(Store.of(settings))
    except ConfigError as exc:
        st.error(f"Redis is not configured: {exc}.")
    except RedisError as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
    return None


@st.cache_data(ttl=SNAPSHOT_TTL_S, show_spinner=False)
def read_alerts(store: Store) -> AlertSnapshot:
    """The active alerts, the latest messages and acknowledgements, shared by every session
    for ``SNAPSHOT_TTL_S`` (parsing the messages is most of a read)."""
    return store.alerts().snapshot()


def load_alerts(settings: Settings) -> AlertSnapshot | None:
    """``read_alerts``, or None after showing why Redis cannot be read."""
    return read_or_report(settings, read_alerts)


def load_live(
    settings: Settings, spans: list[tuple[int, int]]
) -> tuple[LiveSnapshot, list[tuple[WindowRow, ...]]] | None:
    """The snapshot and the ward-level windows of ``spans`` (one round trip), or None."""
    return read_or_report(
        settings,
        lambda store: read_live(store, settings.latest_incidents, tuple(spans)),
    )


def load_baselines(settings: Settings, window: Window) -> Baselines | None:
    """The ward-level baselines of a window (cached ``above_normal.BASELINE_TTL_S``), or None."""
    weeks = settings.baseline_weeks
    return read_or_report(
        settings, lambda store: read_baseline(store, window.start, window.end, weeks)
    )


def show_unusual(settings: Settings, window: Window, found: AboveNormal | None) -> pd.DataFrame:
    """The areas-above-normal table (``dashboard.above_normal``), or while the feeds have
    covered fewer weeks than a verdict needs, what history there is; None: unreadable (the
    reason is already shown). Returns the table (for the export)."""
    st.subheader(f"Areas above normal — {in_sentence(window.label)}")
    if found is None:
        return pd.DataFrame()
    history, table = found.history, found.table
    st.caption(
        f"Compared with the same hours in each of the previous {settings.baseline_weeks} "
        "weeks the feeds covered; 'above normal' is more than one spread above the usual "
        f"level, 'well' two, 'far' three. A verdict needs {history.needed} weeks of history."
    )
    if not history.enough:
        st.info(
            f"No verdicts yet: the feeds have covered {history.covered} of the "
            f"{history.needed} past weeks a verdict needs ({history.text}). Wards busier "
            "than in the weeks covered so far are listed without one."
        )
    if table.empty:
        if history.enough:
            st.info("No ward is above its normal level in this window.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
    return table


def show_above_normal(
    settings: Settings,
    window: Window,
    now: Cells,
    sources: Selection,
    ward_names: WardNames,
    role: Role,
) -> pd.DataFrame:
    """Wards furthest above their normal level in the window."""
    baselines = load_baselines(settings, window)
    found = (
        None
        if baselines is None
        else above_normal(now, baselines, sources, ward_names, role, settings.verdict_weeks)
    )
    return show_unusual(settings, window, found)


EXPORTS_STATE = "exports"


def _exports() -> dict[str, tuple[ExportView, dict[str, object]]]:
    """This session's latest export per page (a plain dict, so that a download's callable,
    which runs outside the script thread, can read it)."""
    holder: dict[str, tuple[ExportView, dict[str, object]]] = st.session_state.setdefault(
        EXPORTS_STATE, {}
    )
    return holder


def show_exports(export: ExportView, page: str, filters: dict[str, object]) -> None:
    """Keep the view a panel just drew as the page's export (the buttons are drawn outside
    the auto-refreshing panel by ``export_buttons``, so a refresh never replaces a button
    under the user's click)."""
    _exports()[page] = (export, filters)


MAP_EXPORTS_STATE = "export-maps"


def show_map_export(page: str, picture: MapPicture) -> None:
    """Keep the map a page drew for its exports (the map refreshes on its own, slower, so
    it is kept apart from the view and joined to it when a file is made)."""
    st.session_state.setdefault(MAP_EXPORTS_STATE, {})[page] = picture


def forget_export(page: str) -> None:
    """Before a page's panel runs: no export unless the panel draws a view."""
    _exports().pop(page, None)


def export_buttons(settings: Settings, who: Viewer, page: str) -> None:
    """Download buttons of the page's latest view; each file is made (and audited) only
    when its button is clicked, from the view as it is at that moment."""
    holder = _exports()
    if page not in holder:
        return
    st.sidebar.subheader("Export this view")
    audit = AuditLog(settings.audit_path)
    pictures: dict[str, MapPicture] = st.session_state.setdefault(MAP_EXPORTS_STATE, {})

    def make(fmt: str) -> Callable[[], bytes]:
        def build() -> bytes:
            export, filters = holder[page]
            export = export.with_map(pictures.get(page))
            audit.write(who.name, who.role, "export", page=page, format=fmt, filters=filters)
            return render(export, fmt)

        return build

    first = holder[page][0]
    for fmt, (label, mime) in FORMATS.items():  # in the sidebar: the page keeps its screen
        st.sidebar.download_button(
            f"Download {label}",
            data=make(fmt),
            file_name=first.filename(fmt),
            mime=mime,
            key=f"export-{fmt}",
            on_click="ignore",
            width="stretch",
            help=f"The figures on this page as {label}, with the filters, the time of "
            "extraction and the caveats",
        )


def need_sources(sources: Selection) -> bool:
    """Whether any source is selected (else a warning in place of the page's panels)."""
    if not sources:
        st.warning("No source selected: choose at least one in the sidebar.")
    return bool(sources)
