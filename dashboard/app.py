"""safer-tracker dashboard (``streamlit run dashboard/app.py``; ``safer up`` starts it).

Sign-in and role (``dashboard.session``), the page choice and the source filter (both in
the URL, so a view is a shareable link), then the chosen page (``dashboard.views``). Every
page reads only through ``store.reader`` and discloses figures for the viewer's role
(``aggregates.disclosure``)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import layout
from dashboard.filters import category_filter, query_choice, source_filter
from dashboard.selection import Selection
from dashboard.session import Viewer, viewer
from dashboard.ui import show_simulated_note, tune_server
from dashboard.views import (
    alerts,
    briefing,
    drilldown,
    feeds,
    hotspots,
    live,
    operations,
    profiles,
    trends,
)
from safer.settings import Settings, load_settings

APP_NAME = "safer-tracker"
PAGE_PARAM = "page"
PAGES: dict[str, tuple[str, Callable[[Settings, Viewer, Selection], None]]] = {
    "live": ("Live", live.page),
    "alerts": ("Alerts", alerts.page),
    "briefing": ("Overnight briefing", briefing.page),
    "areas": ("Area drill-down", drilldown.page),
    "trends": ("Trends", trends.page),
    "hotspots": ("Hot-spot times", hotspots.page),
    "profiles": ("Profiles", profiles.page),
    "operations": ("Operations", operations.page),
    "feeds": ("Feeds", feeds.page),
}


# pages without the category filter (a comment: Streamlit's magic would draw a string here)
OWN_CATEGORIES = frozenset({"alerts", "operations", "feeds"})


def main() -> None:
    st.set_page_config(page_title=APP_NAME, layout="wide")
    settings = load_settings()
    who = viewer(settings)
    if who is None:
        st.title(APP_NAME)
        st.info("Sign in to see the dashboard (the public view is switched off).")
        return
    labels = {slug: label for slug, (label, _) in PAGES.items()}
    wall = layout.wall_from(st.query_params, PAGES, st.query_params.get(PAGE_PARAM) or "live")
    layout.style(wall)
    layout.take_pending_page(PAGE_PARAM)
    page = query_choice(PAGE_PARAM, "Page", labels, "live")
    st.title(f"{APP_NAME} — {labels[page].lower()}")
    if page != "live":  # Live says it in its freshness banner
        show_simulated_note(settings)
    sources = source_filter()
    # alerts have their own groups, an operation its own categories, feeds are health
    chosen = Selection(tuple(sources)) if page in OWN_CATEGORIES else category_filter(sources)
    narrowed = chosen.narrowed_text()
    if narrowed and page != "live":  # Live says it under its headline windows
        st.caption(narrowed)
    PAGES[page][1](settings, who, chosen)
    if wall is not None:
        layout.cycle(wall, page)
    tune_server()  # once per process, after the first page has imported what it uses


if __name__ == "__main__":
    main()
