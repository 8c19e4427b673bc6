"""Shared Streamlit pieces of the dashboard's pages: the Redis client, cached reads through
``store.reader`` (one round trip each), filters mirrored into the URL, exports and the
areas-above-normal panel. Settings are built once per run (``SAFER_*``); the Redis client
lives in ``st.cache_resource`` and reads in ``st.cache_data`` with short lifetimes, so
concurrent viewers share reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import pandas as pd
import streamlit as st
from redis import Redis
from redis.exceptions import RedisError

from aggregates.buckets import Bucket
from aggregates.disclosure import Role
from aggregates.periods import CUSTOM, ROLLING_LABELS, Period, Window
from dashboard import data
from dashboard.above_normal import BASELINE_TTL_S, AboveNormal, above_normal
from dashboard.access import AuditLog
from dashboard.exports import FORMATS, ExportView, MapPicture, render
from dashboard.selection import CATEGORY_PARAM, Selection, category_options, parse_categories
from dashboard.session import Viewer
from dashboard.window_figures import Cells, in_sentence, period_options
from geography.areas import Areas
from safer.errors import ConfigError
from safer.runtime import tune_gc
from safer.settings import Settings
from schemas.calendar import LONDON
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

WardNames = Mapping[str, str]
T = TypeVar("T")
SOURCE_PARAM = "source"
SOURCE_STATE = "sources"
WINDOW_PARAM = "window"
WINDOW_STATE = "window"
DEFAULT_WINDOW = {True: "24h", False: "7d"}  # analyst (exact) / partner and public
AREA_PARAM = "area"
ALL_AREAS = "all"
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


def query_choice(param: str, label: str, options: dict[str, str], default: str) -> str:
    """A sidebar choice seeded from and mirrored into ``?param=``."""
    if param not in st.session_state:
        wanted = st.query_params.get(param)
        st.session_state[param] = wanted if wanted in options else default
    chosen = str(
        st.sidebar.radio(label, options=list(options), format_func=options.__getitem__, key=param)
    )
    st.query_params[param] = chosen
    return chosen


FROM_PARAM, TO_PARAM, LAST_YEAR_PARAM = "from", "to", "ly"
EARLIEST_DAY = date(2010, 1, 1)
ANALYST_ONLY = "Last hour and last 24 hours: analysts only (whole days keep shared figures steady)."


def window_filter(role: Role) -> Period:
    """Sidebar choice of the period (named windows, years to date, custom dates; the same
    period last year), seeded from and mirrored into ``?window=`` (``from``, ``to``,
    ``ly``). A link's window the role may not see is said so, shown as the default and
    dropped from the URL; partner and public choose whole days up to yesterday."""
    options = period_options(role)
    default = DEFAULT_WINDOW[role.exact]
    state_key = f"{WINDOW_STATE}-{role.value}"
    if state_key not in st.session_state:
        wanted = st.query_params.get(WINDOW_PARAM)
        st.session_state[state_key] = wanted if wanted in options else default
        if wanted and wanted not in options:
            refused = ROLLING_LABELS.get(wanted, wanted)
            st.sidebar.warning(
                f"The link asked for '{refused}', which a {role.value} cannot choose: "
                f"showing {options[default].lower()}."
            )
    slug = str(
        st.sidebar.selectbox(
            "Period",
            options=list(options),
            format_func=options.__getitem__,
            key=state_key,
            help="The period of the map, tables and charts"
            + ("" if role.exact else " (whole days up to last midnight)"),
        )
    )
    if not role.exact:
        st.sidebar.caption(ANALYST_ONLY)
    first, last = _custom_dates(role) if slug == CUSTOM else (None, None)
    last_year = st.sidebar.checkbox(
        "Same period last year",
        key=f"{LAST_YEAR_PARAM}-{role.value}",
        value=st.query_params.get(LAST_YEAR_PARAM) == "1",
        help="The chosen period a year earlier (the same dates; 52 weeks for the rolling "
        "and day windows, so weekdays align)",
    )
    period = Period(slug, first, last, last_year)
    _mirror_period(period)  # always: a link keeps it across sign-in
    return period


def _custom_dates(role: Role) -> tuple[date, date]:
    """The first and last day of custom dates (a date-range picker; partner and public up
    to yesterday), seeded from ``?from=`` and ``?to=``."""
    today = datetime.now(LONDON).date()
    latest = today if role.exact else today - timedelta(days=1)
    first = _date_param(FROM_PARAM) or latest - timedelta(days=27)
    last = _date_param(TO_PARAM) or latest
    first, last = (min(max(d, EARLIEST_DAY), latest) for d in (first, last))
    picked = st.sidebar.date_input(
        "Dates (first and last day)",
        value=(min(first, last), max(first, last)),
        min_value=EARLIEST_DAY,
        max_value=latest,
        key=f"dates-{role.value}",
        format="YYYY-MM-DD",
    )
    days = [d for d in (picked if isinstance(picked, tuple) else (picked,)) if d is not None]
    if not days:
        return first, last
    return days[0], days[-1]  # mid-choice (one day picked): that day alone


def _date_param(param: str) -> date | None:
    try:
        return date.fromisoformat(st.query_params.get(param) or "")
    except ValueError:
        return None


def period_params(period: Period) -> dict[str, object]:
    """A period as its URL parameters (the audit log's filters)."""
    found: dict[str, object] = {WINDOW_PARAM: period.slug}
    if period.first is not None and period.last is not None:
        found |= {FROM_PARAM: period.first.isoformat(), TO_PARAM: period.last.isoformat()}
    if period.last_year:
        found[LAST_YEAR_PARAM] = "1"
    return found


def _mirror_period(period: Period) -> None:
    wanted = period_params(period)
    for param in (WINDOW_PARAM, FROM_PARAM, TO_PARAM, LAST_YEAR_PARAM):
        if param in wanted:
            st.query_params[param] = str(wanted[param])
        else:
            st.query_params.pop(param, None)


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


CATEGORY_STATE = "categories"


def category_filter(sources: list[str]) -> Selection:
    """Sidebar multiselect of categories and category groups (none: all), seeded from and
    mirrored into ``?cat=...``; with the sources, what every page shows."""
    if CATEGORY_STATE not in st.session_state:
        st.session_state[CATEGORY_STATE] = list(
            parse_categories(st.query_params.get_all(CATEGORY_PARAM))
        )
    options = category_options()
    chosen = st.sidebar.multiselect(
        "Categories shown",
        options=list(options),
        format_func=options.__getitem__,
        key=CATEGORY_STATE,
        placeholder="All categories",
        help="Narrows every figure, map and table to these categories (groups span "
        "agencies: all anti-social behaviour is police, council and control-room ASB).",
    )
    categories = parse_categories(chosen)
    if categories:
        st.query_params[CATEGORY_PARAM] = list(categories)
    elif CATEGORY_PARAM in st.query_params:
        del st.query_params[CATEGORY_PARAM]
    return Selection(tuple(sources), categories)


def url_selectbox(param: str, label: str, options: dict[str, str], default: str) -> str:
    """A sidebar select box seeded from ``?param=`` (else ``default``) and mirrored into it;
    reseeded when its options change (e.g. the LSOAs of another ward)."""
    if st.session_state.get(param) not in options:
        wanted = st.query_params.get(param)
        st.session_state[param] = wanted if wanted in options else default
    chosen = str(
        st.sidebar.selectbox(label, list(options), format_func=options.__getitem__, key=param)
    )
    st.query_params[param] = chosen
    return chosen


def whole_area(areas: Areas) -> str:
    """What the partnership is to its users: 'borough' (one local authority) or
    'partnership' (several)."""
    return "partnership" if areas.combined else "borough"


def area_filter(ward_names: WardNames, whole: str = "Whole borough") -> str:
    """The whole area (all of ``ward_names``) or one ward, in ``?area=``."""
    options = {ALL_AREAS: whole, **dict(sorted(ward_names.items(), key=lambda w: w[1]))}
    return url_selectbox(AREA_PARAM, "Area", options, ALL_AREAS)


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
