"""safer-tracker — live: the control-room page (``streamlit run dashboard/app.py``).

Settings are built once here (``SAFER_*``), the Redis client lives in ``st.cache_resource``,
reads go through ``store.reader`` in ``st.cache_data`` and the live panel reruns itself in
``st.fragment(run_every=SAFER_DASHBOARD_REFRESH_S)``. The source filter is mirrored into the
URL (``?source=police&source=fire``) so a view is a shareable link; all sources = no parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st
from redis import Redis
from redis.exceptions import RedisError

from aggregates.buckets import Bucket
from dashboard import briefing, data, drilldown, figures, hotspots, profiles, trends
from dashboard.access import AuditLog
from dashboard.disclosure import SUM_CAVEAT, Role
from dashboard.exports import FORMATS, ExportView, render
from dashboard.session import Viewer, record_view, viewer
from safer.errors import ConfigError
from safer.geography import Areas, load_areas
from safer.settings import Settings, load_settings
from schemas.calendar import LONDON
from store.keys import Keys
from store.reader import (
    BASELINE_WEEKS,
    Baseline,
    LiveSnapshot,
    RepeatCounts,
    StoreReader,
    WindowRow,
)

WardNames = Mapping[str, str]
APP_NAME = "safer-tracker"
SOURCE_PARAM = "source"
SOURCE_STATE = "sources"
WINDOW_PARAM = "window"
WINDOW_STATE = "window"
DEFAULT_WINDOW = {True: "24h", False: "7d"}  # analyst (exact) / partner and public
PAGE_PARAM = "page"
PAGES = {
    "live": "Live",
    "briefing": "Overnight briefing",
    "areas": "Area drill-down",
    "trends": "Trends",
    "hotspots": "Hot-spot times",
    "profiles": "Profiles",
}
BREAKDOWN_PARAM = "breakdown"
SINCE_PARAM = "since"
LSOA_PARAM = "lsoa"
TRENDS_TTL_S = 30.0  # whole past days and months: a slower refresh is plenty
GRAIN_PARAM = "grain"
SPAN_PARAM = "span"
AREA_PARAM = "area"
ALL_AREAS = "all"
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


@st.cache_data(ttl=SNAPSHOT_TTL_S, show_spinner=False)
def read_windows(
    url: str,
    prefix: str,
    spans: tuple[tuple[int, int], ...],
    level: str = "ward",
    breakdown: str = "cat",
) -> list[tuple[WindowRow, ...]]:
    """(area, category[, value]) rows of each span at a level (default ward), in one round
    trip."""
    return StoreReader(redis_client(url), Keys(prefix)).windows(level, list(spans), breakdown)


@st.cache_data(ttl=TRENDS_TTL_S, show_spinner=False)
def read_repeats(
    url: str, prefix: str, start: int, end: int
) -> dict[tuple[str, str], RepeatCounts]:
    """Restricted (analyst): repeat callers and locations per ward."""
    return StoreReader(redis_client(url), Keys(prefix)).repeats("ward", start, end)


@st.cache_data(ttl=TRENDS_TTL_S, show_spinner=False)
def read_baseline(url: str, prefix: str, start: int, end: int) -> dict[tuple[str, str], Baseline]:
    """Ward-level baselines of a window (the same window in each of the previous weeks)."""
    return StoreReader(redis_client(url), Keys(prefix)).baseline("ward", start, end)


def window_filter(role: Role) -> str:
    """Sidebar choice of the window of the tables, seeded from and mirrored into ?window=;
    partner and public choose among the fixed windows only."""
    slugs = [w.slug for w in figures.windows_for(role, datetime.now(UTC))]
    labels = {w.slug: w.label for w in figures.windows_for(role, datetime.now(UTC))}
    default = DEFAULT_WINDOW[role.exact]
    state_key = f"{WINDOW_STATE}-{role.value}"
    if state_key not in st.session_state:
        wanted = st.query_params.get(WINDOW_PARAM)
        st.session_state[state_key] = wanted if wanted in slugs else default
    chosen = st.sidebar.selectbox(
        "Window",
        options=slugs,
        format_func=labels.__getitem__,
        key=state_key,
        help="Window of the ward table and category chart"
        + ("" if role.exact else " (whole days up to last midnight)"),
    )
    st.query_params[WINDOW_PARAM] = chosen  # always: a link keeps its window across sign-in
    return str(chosen)


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
    """All-time totals and dead letters (analyst: operational, exact)."""
    values = data.kpis(snapshot)
    for column, (label, value) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, f"{value:,}", border=True)


def show_window_kpis(kpis: list[figures.Kpi]) -> None:
    st.subheader("Recent windows")
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        # more incidents is the bad direction: red up, green down (the arrow is the non-colour cue)
        column.metric(
            kpi.label, kpi.value, delta=kpi.delta, delta_color="inverse", border=True, help=kpi.help
        )
        column.caption(kpi.help)


def show_above_normal(
    settings: Settings,
    window: figures.Window,
    now: figures.Cells,
    sources: list[str],
    ward_names: WardNames,
    role: Role,
) -> pd.DataFrame:
    """Wards furthest above their normal level in the window (the KPI's second window)."""
    st.subheader(f"Areas above normal — {window.label.lower()}")
    try:
        baselines = read_baseline(
            settings.require_redis(), settings.redis_prefix, window.start, window.end
        )
    except RedisError as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
        return pd.DataFrame()
    table = figures.above_normal(now, baselines, sources, ward_names, role)
    st.caption(
        f"Compared with the same hours in each of the previous {BASELINE_WEEKS} weeks; "
        "'above normal' is more than one spread above the usual level, 'well' two, 'far' three."
    )
    if table.empty:
        st.info("No ward is above its normal level in this window.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
    return table


def show_wards(table: pd.DataFrame, window: figures.Window) -> None:
    st.subheader(f"Incidents by ward — {window.label.lower()}")
    st.caption(figures.window_caption(window))
    if table.empty:
        st.info("No incidents for the selected sources in this window.")
        return
    st.dataframe(table, hide_index=True, width="stretch")


def show_categories(table: pd.DataFrame, window: figures.Window) -> None:
    st.subheader(f"Incidents by category — {window.label.lower()}")
    summary = figures.category_text(table)
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


def show_ticker(table: pd.DataFrame) -> None:
    st.subheader(f"Latest incidents (newest first, up to {data.TICKER_ROWS})")
    if table.empty:
        st.info("No recent incidents for the selected sources.")
        return
    st.dataframe(table, hide_index=True, width="stretch")


def live_panel(
    settings: Settings, who: Viewer, sources: list[str], window_slug: str, ward_names: WardNames
) -> None:
    """Everything read from Redis; rerun by itself every refresh period."""
    role = who.role
    snapshot = load_snapshot(settings)
    if snapshot is None:
        return
    now = datetime.now(UTC)
    st.caption(
        f"Updated {data.clock_time(now)} UK time; refreshes every "
        f"{settings.dashboard_refresh_s:g} s. Viewing as {role.value}."
    )
    if not data.has_data(snapshot):
        st.info(NO_DATA_MESSAGE)
        return
    show_freshness(snapshot, now)
    if role.exact:
        show_kpis(snapshot)
    if not sources:
        st.warning("No source selected: choose at least one in the sidebar.")
        return
    windows = {w.slug: w for w in figures.windows_for(role, now)}
    kpi_windows = [windows[slug] for slug in figures.kpi_slugs(role)]
    spans = [span for w in kpi_windows for span in figures.comparison_spans(w)]
    selected = windows[window_slug]
    spans.append((selected.start, selected.end))
    try:
        rows = read_windows(settings.require_redis(), settings.redis_prefix, tuple(spans))
    except RedisError as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
        return
    cells = [figures.cells_of(r, sources) for r in rows]
    kpis = [
        figures.kpi(w.label, cells[3 * i], cells[3 * i + 1], cells[3 * i + 2], role)
        for i, w in enumerate(kpi_windows)
    ]
    show_window_kpis(kpis)
    if not role.exact:
        st.caption(SUM_CAVEAT)
    if len(sources) < len(data.ALL_SOURCES):
        st.caption("Filtered to: " + ", ".join(data.source_label(s) for s in sources))
    unusual = show_above_normal(settings, kpi_windows[1], cells[3], sources, ward_names, role)
    chosen = cells[-1]
    wards = figures.ward_window_table(chosen, ward_names, sources, role)
    categories = figures.category_window_table(chosen, role)
    ticker = figures.ticker_frame(snapshot.latest, ward_names, sources, role, data.TICKER_ROWS)
    show_wards(wards, selected)
    show_categories(categories, selected)
    show_ticker(ticker)
    export = ExportView(
        "Live",
        role,
        {
            "sources": ", ".join(data.source_label(s) for s in sources),
            "window": figures.window_caption(selected),
        },
        now,
        [
            ("Recent windows", figures.kpi_frame(kpis)),
            ("Areas above normal", unusual),
            ("Incidents by ward", wards),
            ("Incidents by category", figures.category_export(categories, role)),
            ("Latest incidents", ticker),
        ],
        figures.caveats(role),
    )
    show_exports(settings, who, export, "live", {"source": sources, "window": window_slug})


def show_exports(
    settings: Settings, who: Viewer, export: ExportView, page: str, filters: dict[str, object]
) -> None:
    """Download buttons; each file is made (and audited) only when its button is clicked."""
    st.subheader("Export this view")
    audit = AuditLog(settings.audit_path)

    def make(fmt: str) -> Callable[[], bytes]:
        def build() -> bytes:
            audit.write(who.name, who.role, "export", page=page, format=fmt, filters=filters)
            return render(export, fmt)

        return build

    for column, (fmt, (label, mime)) in zip(st.columns(len(FORMATS)), FORMATS.items(), strict=True):
        column.download_button(
            f"Download {label}",
            data=make(fmt),
            file_name=export.filename(fmt),
            mime=mime,
            key=f"export-{fmt}",
            on_click="ignore",
            help=f"The figures on this page as {label}, with the filters, the time of "
            "extraction and the caveats",
        )


@st.cache_data(ttl=TRENDS_TTL_S, show_spinner=False)
def read_bucket_totals(
    url: str, prefix: str, buckets: tuple[Bucket, ...]
) -> list[tuple[WindowRow, ...]]:
    """Ward-level (ward, category) rows of each day or month bucket, in one round trip."""
    return StoreReader(redis_client(url), Keys(prefix)).bucket_totals("ward", list(buckets))


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


def trends_panel(settings: Settings, who: Viewer, sources: list[str], grain: str) -> None:
    role = who.role
    now = datetime.now(UTC)
    series = trends.periods(grain, now, to_today=role.exact)
    buckets = trends.buckets_to_read(series)
    try:
        read = read_bucket_totals(settings.require_redis(), settings.redis_prefix, tuple(buckets))
    except (RedisError, ConfigError) as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
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
            "sources": ", ".join(data.source_label(s) for s in sources),
            "series": trends.GRAINS[grain],
        },
        now,
        [(f"{trends.GRAINS[grain]} series", shown)],
        [trends.NOTE[grain], *figures.caveats(role)],
    )
    show_exports(settings, who, export, "trends", {"source": sources, "grain": grain})


@st.cache_data(ttl=TRENDS_TTL_S, show_spinner=False)
def read_profile(
    url: str, prefix: str, level: str, start: int, end: int
) -> dict[tuple[str, str], tuple[float, ...]]:
    return StoreReader(redis_client(url), Keys(prefix)).profile(level, start, end)


def area_filter(ward_names: WardNames) -> str:
    """The borough (all wards) or one ward, seeded from and mirrored into ``?area=``."""
    options = {ALL_AREAS: "Whole borough", **dict(sorted(ward_names.items(), key=lambda w: w[1]))}
    if AREA_PARAM not in st.session_state:
        wanted = st.query_params.get(AREA_PARAM)
        st.session_state[AREA_PARAM] = wanted if wanted in options else ALL_AREAS
    chosen = str(
        st.sidebar.selectbox("Area", list(options), format_func=options.__getitem__, key=AREA_PARAM)
    )
    st.query_params[AREA_PARAM] = chosen
    return chosen


def hotspots_panel(
    settings: Settings,
    who: Viewer,
    sources: list[str],
    span_slug: str,
    area: str,
    ward_names: WardNames,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    span = hotspots.span_for(span_slug, now, role)
    level = "borough" if area == ALL_AREAS else "ward"
    try:
        profiles = read_profile(
            settings.require_redis(), settings.redis_prefix, level, span.start, span.end
        )
    except (RedisError, ConfigError) as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
        return
    weights, counts = hotspots.selected_weights(
        profiles, None if area == ALL_AREAS else [area], sources
    )
    place = "the whole borough" if area == ALL_AREAS else data.ward_label(area, ward_names)
    st.subheader(f"When incidents happen — {place}")
    st.caption(
        f"{span.label}. Incidents known only as a time range are spread evenly over its "
        "hours (aoristic), never put at the midpoint."
    )
    if not hotspots.enough(counts, role):
        st.info(
            "Too few incidents here for a pattern"
            + (
                "."
                if role.exact
                else f" that can be shown outside the analyst role "
                f"(fewer than {hotspots.MIN_EVENTS})."
            )
        )
        return
    if role.exact:
        table = hotspots.grid(weights)
        colour = alt.Color("Incidents:Q", scale=alt.Scale(scheme="viridis"), title="Incidents")
        tooltip = ["Day", "Hour", "Incidents"]
    else:
        table = hotspots.banded(weights)
        colour = alt.Color(
            "Level:O", scale=alt.Scale(domain=list(hotspots.BANDS), scheme="viridis"), title="Level"
        )
        tooltip = ["Day", "Hour", "Level"]
    text = hotspots.busiest_text(weights, role)
    chart = (
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
    st.altair_chart(chart, width="stretch")
    st.caption(text)
    wide = table.pivot(index="Day", columns="Hour", values=table.columns[-1]).reindex(
        list(hotspots.DAYS)
    )
    with st.expander("The same as a table"):
        st.dataframe(wide, width="stretch")
    export = ExportView(
        "Hot-spot times",
        role,
        {
            "sources": ", ".join(data.source_label(s) for s in sources),
            "area": place,
            "period": span.label,
        },
        now,
        [("Hour of day by day of week", wide.reset_index())],
        [text] if role.exact else [text, hotspots.SHARED_CAVEAT],
    )
    show_exports(
        settings, who, export, "hotspots", {"source": sources, "span": span_slug, "area": area}
    )


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
    sources: list[str],
    since: datetime | None,
    ward_names: WardNames,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    window = briefing.briefing_window(now, role, since)
    snapshot = load_snapshot(settings)
    if snapshot is None:
        return
    try:
        rows = read_windows(
            settings.require_redis(), settings.redis_prefix, ((window.start, window.end),)
        )
    except RedisError as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
        return
    cells = figures.cells_of(rows[0], sources)
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
    st.markdown(
        "**Notable incidents** (violence, robbery, weapons, arson, crimes in progress, "
        "welfare concerns, primary fires)"
    )
    notable = briefing.notable(snapshot.latest, window, ward_names, sources, role)
    if notable.empty:
        st.info("No notable incidents among the latest received in this window.")
    else:
        st.dataframe(notable, hide_index=True, width="stretch")
    unusual = show_above_normal(settings, window, cells, sources, ward_names, role)
    export = ExportView(
        "Overnight briefing",
        role,
        {"sources": ", ".join(data.source_label(s) for s in sources), "window": window.label},
        now,
        [
            ("By source", by_source),
            ("By category", by_category),
            ("Notable incidents", notable),
            ("Areas above normal", unusual),
        ],
        figures.caveats(role),
    )
    show_exports(settings, who, export, "briefing", {"source": sources, "since": window.label})


def lsoa_filter(ward: str, areas: Areas) -> str:
    """The analyst's LSOA within the chosen ward (all: none chosen), mirrored in ``?lsoa=``."""
    options = {ALL_AREAS: "All LSOAs of the ward"}
    options |= {a.code: f"{a.name} ({a.code})" for a in areas.lsoas if a.ward_code == ward}
    if st.session_state.get(LSOA_PARAM) not in options:
        wanted = st.query_params.get(LSOA_PARAM)
        st.session_state[LSOA_PARAM] = wanted if wanted in options else ALL_AREAS
    chosen = str(
        st.sidebar.selectbox("LSOA", list(options), format_func=options.__getitem__, key=LSOA_PARAM)
    )
    st.query_params[LSOA_PARAM] = chosen
    return chosen


def areas_panel(
    settings: Settings, who: Viewer, sources: list[str], window_slug: str, ward: str, lsoa: str
) -> None:
    role = who.role
    now = datetime.now(UTC)
    areas = load_areas(settings.partnership)
    window = {w.slug: w for w in figures.windows_for(role, now)}[window_slug]
    span = ((window.start, window.end),)
    detail = role.exact and ward != ALL_AREAS
    try:
        url = settings.require_redis()
        wards = figures.cells_of(read_windows(url, settings.redis_prefix, span)[0], sources)
        lsoas = (
            figures.cells_of(read_windows(url, settings.redis_prefix, span, "lsoa")[0], sources)
            if detail
            else {}
        )
    except RedisError as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
        return
    whole_name = areas.name or "the partnership"
    ward_pop = areas.ward_population()
    whole = drilldown.total(wards, None, role)
    whole_rate = drilldown.rate(whole, sum(ward_pop.values()))
    st.caption(figures.window_caption(window) + ("" if role.exact else " " + SUM_CAVEAT))
    tables: list[tuple[str, pd.DataFrame]] = []
    if ward == ALL_AREAS:
        st.subheader(f"{whole_name}: {whole.text} incidents")
        st.caption(f"{drilldown.rate(whole, sum(ward_pop.values())) or '—'} per 1,000 residents")
        table = drilldown.area_table(
            wards,
            sorted(areas.ward_names),
            areas.ward_names,
            ward_pop,
            role,
            (whole_name, whole_rate),
        )
        tables.append(("Wards", table))
        kinds = drilldown.categories(wards, None, wards, whole_name, role)
    else:
        name = areas.ward_name(ward)
        mine = drilldown.total(wards, ward, role)
        ward_rate = drilldown.rate(mine, ward_pop.get(ward, 0))
        if lsoa == ALL_AREAS or not detail:
            st.subheader(f"{name}: {mine.text} incidents")
            st.caption(f"{ward_rate or '—'} per 1,000 residents; {whole_name}: {whole_rate or '—'}")
            kinds = drilldown.categories(wards, ward, wards, whole_name, role)
            if detail:
                codes = sorted(a.code for a in areas.lsoas if a.ward_code == ward)
                names = {a.code: a.name for a in areas.lsoas}
                pops = {a.code: a.population for a in areas.lsoas}
                tables.append(
                    (
                        "LSOAs",
                        drilldown.area_table(lsoas, codes, names, pops, role, (name, ward_rate)),
                    )
                )
            else:
                st.caption(
                    "Outside the analyst role figures stop at wards (smaller areas would let "
                    "small counts be worked out)."
                )
        else:
            info = next(a for a in areas.lsoas if a.code == lsoa)
            here = drilldown.total(lsoas, lsoa, role)
            st.subheader(f"{info.name} ({lsoa}), in {name}: {here.text} incidents")
            st.caption(
                f"{drilldown.rate(here, info.population) or '—'} per 1,000 residents; "
                f"{name}: {ward_rate or '—'}; {whole_name}: {whole_rate or '—'}"
            )
            ward_cells = {k: n for k, n in wards.items() if k[0] == ward}
            kinds = drilldown.categories(lsoas, lsoa, ward_cells, name, role)
    for title, table in tables:
        st.markdown(f"**{title}**")
        st.dataframe(table, hide_index=True, width="stretch")
    st.markdown("**Categories**")
    st.dataframe(kinds, hide_index=True, width="stretch")
    tables.append(("Categories", kinds))
    export = ExportView(
        "Area drill-down",
        role,
        {
            "sources": ", ".join(data.source_label(s) for s in sources),
            "window": figures.window_caption(window),
            "ward": areas.ward_name(ward) if ward != ALL_AREAS else "all",
            "lsoa": lsoa if detail else "all",
        },
        now,
        tables,
        figures.caveats(role),
    )
    show_exports(
        settings,
        who,
        export,
        "areas",
        {"source": sources, "window": window_slug, "area": ward, "lsoa": lsoa},
    )


def profiles_panel(
    settings: Settings,
    who: Viewer,
    sources: list[str],
    window_slug: str,
    breakdown: str,
    ward_names: WardNames,
) -> None:
    role = who.role
    now = datetime.now(UTC)
    window = {w.slug: w for w in figures.windows_for(role, now)}[window_slug]
    try:
        url = settings.require_redis()
        rows = read_windows(
            url, settings.redis_prefix, ((window.start, window.end),), "ward", breakdown
        )[0]
        repeats = (
            read_repeats(url, settings.redis_prefix, window.start, window.end)
            if (role.restricted)
            else {}
        )
    except RedisError as exc:
        st.error(f"Redis is unreachable ({type(exc).__name__}: {exc}). Retrying automatically.")
        return
    title = profiles.BREAKDOWNS[breakdown]
    st.subheader(f"{title} — {window.label.lower()}")
    st.caption(
        figures.window_caption(window)
        + ". Only what partners record; 'not recorded' values are not shown."
        + ("" if role.exact else " " + SUM_CAVEAT)
    )
    table = profiles.profile_table(rows, sources, role)
    tables: list[tuple[str, pd.DataFrame]] = []
    if table.empty:
        st.info("Nothing recorded for this breakdown in this window.")
    else:
        bars = profiles.chart_frame(table)
        text = "; ".join(f"{v}: {n}" for v, n in zip(bars["Value"], bars["Incidents"], strict=True))
        if not bars.empty:
            st.bar_chart(bars, x="Value", y="Incidents", horizontal=True, alt=text)
        st.caption(f"{title}, all categories — {text or 'every figure suppressed'}.")
        st.dataframe(table, hide_index=True, width="stretch")
        tables.append((title, table))
    if role.restricted:
        st.subheader("Repeat callers and repeat locations (restricted)")
        st.caption(
            "Pseudonymised caller and location references seen at least twice (and three "
            "or more times) in the window, per ward: counts only, never the references."
        )
        repeat_table = profiles.repeats_table(repeats, ward_names)
        if repeat_table.empty:
            st.info("No repeat callers or locations in this window.")
        else:
            st.dataframe(repeat_table, hide_index=True, width="stretch")
            tables.append(("Repeat callers and locations", repeat_table))
    if not tables:
        return
    export = ExportView(
        "Profiles",
        role,
        {
            "sources": ", ".join(data.source_label(s) for s in sources),
            "window": figures.window_caption(window),
            "breakdown": title,
        },
        now,
        tables,
        figures.caveats(role),
    )
    show_exports(
        settings,
        who,
        export,
        "profiles",
        {"source": sources, "window": window_slug, "breakdown": breakdown},
    )


def main() -> None:
    st.set_page_config(page_title=APP_NAME, layout="wide")
    settings = load_settings()
    who = viewer(settings)
    if who is None:
        st.title(APP_NAME)
        st.info("Sign in to see the dashboard (the public view is switched off).")
        return
    page = query_choice(PAGE_PARAM, "Page", PAGES, "live")
    st.title(f"{APP_NAME} — {PAGES[page].lower()}")
    sources = source_filter()
    if page == "trends":
        grain = query_choice(GRAIN_PARAM, "Series", trends.GRAINS, "month")
        record_view(settings, who, page, {"source": sources, "grain": grain})
        if not sources:
            st.warning("No source selected: choose at least one in the sidebar.")
            return
        panel = st.fragment(trends_panel, run_every=TRENDS_TTL_S)
        panel(settings, who, sources, grain)
        return
    ward_names = load_areas(settings.partnership).ward_names
    if page == "briefing":
        since = since_filter(datetime.now(UTC)) if who.role.exact else None
        record_view(settings, who, page, {"source": sources, "since": str(since or "yesterday")})
        if not sources:
            st.warning("No source selected: choose at least one in the sidebar.")
            return
        brief = st.fragment(briefing_panel, run_every=TRENDS_TTL_S)
        brief(settings, who, sources, since, ward_names)
        return
    if page == "areas":
        window_slug = window_filter(who.role)
        ward = area_filter(ward_names)
        lsoa = (
            lsoa_filter(ward, load_areas(settings.partnership))
            if who.role.exact and ward != ALL_AREAS
            else ALL_AREAS
        )
        record_view(
            settings,
            who,
            page,
            {"source": sources, "window": window_slug, "area": ward, "lsoa": lsoa},
        )
        if not sources:
            st.warning("No source selected: choose at least one in the sidebar.")
            return
        drill = st.fragment(areas_panel, run_every=TRENDS_TTL_S)
        drill(settings, who, sources, window_slug, ward, lsoa)
        return
    if page == "profiles":
        window_slug = window_filter(who.role)
        breakdown = query_choice(BREAKDOWN_PARAM, "Breakdown", profiles.BREAKDOWNS, "youth")
        record_view(
            settings, who, page, {"source": sources, "window": window_slug, "breakdown": breakdown}
        )
        if not sources:
            st.warning("No source selected: choose at least one in the sidebar.")
            return
        prof = st.fragment(profiles_panel, run_every=TRENDS_TTL_S)
        prof(settings, who, sources, window_slug, breakdown, ward_names)
        return
    if page == "hotspots":
        spans = {slug: label for slug, (label, _) in hotspots.SPANS.items()}
        span_slug = query_choice(SPAN_PARAM, "Period", spans, "12m")
        area = area_filter(ward_names)
        record_view(settings, who, page, {"source": sources, "span": span_slug, "area": area})
        if not sources:
            st.warning("No source selected: choose at least one in the sidebar.")
            return
        spots = st.fragment(hotspots_panel, run_every=TRENDS_TTL_S)
        spots(settings, who, sources, span_slug, area, ward_names)
        return
    window_slug = window_filter(who.role)
    record_view(settings, who, page, {"source": sources, "window": window_slug})
    live = st.fragment(live_panel, run_every=settings.dashboard_refresh_s)
    live(settings, who, sources, window_slug, ward_names)


if __name__ == "__main__":
    main()
