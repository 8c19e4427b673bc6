"""The sidebar's choices, each seeded from and mirrored into the URL (so a view is a
shareable link): the page, sources, categories, the period, the area (Streamlit). What a
choice means is pure elsewhere (``dashboard.selection``, ``aggregates.periods``,
``dashboard.window_figures``); a choice a role may not make is said so and dropped from
the URL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

import streamlit as st

from aggregates.disclosure import Role
from aggregates.periods import CUSTOM, ROLLING_LABELS, Period
from dashboard import data
from dashboard.selection import CATEGORY_PARAM, Selection, category_options, parse_categories
from dashboard.window_figures import period_options
from geography.areas import Areas
from schemas.calendar import LONDON

WardNames = Mapping[str, str]
SOURCE_PARAM = "source"
SOURCE_STATE = "sources"
WINDOW_PARAM = "window"
WINDOW_STATE = "window"
DEFAULT_WINDOW = {True: "24h", False: "7d"}  # analyst (exact) / partner and public
AREA_PARAM = "area"
ALL_AREAS = "all"


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
