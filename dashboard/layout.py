"""How the pages sit on a screen: compact spacing for every page (so the Live control-room
screen fits 1440×900 and 1920×1080 without scrolling), and the wall mode.

Wall mode (``?wall=1``) is for a control-room wall: no sidebar and no toolbar, large type,
and, when ``?cycle=`` names pages (``live,alerts``), the next page every ``?every=`` seconds
(at least ``MIN_EVERY_S``; default ``DEFAULT_EVERY_S``). The viewer is whoever this browser
signed in as (the sign-in cookie): sign in, then open the wall link. Which page comes next
is pure (``next_page``); changing it is a full rerun from a timer fragment.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import streamlit as st

WALL_PARAM = "wall"
CYCLE_PARAM = "cycle"
EVERY_PARAM = "every"
DEFAULT_EVERY_S = 60.0
MIN_EVERY_S = 15.0
WALL_ON = frozenset({"1", "true", "yes"})
PENDING_STATE = "wall-next-page"
SHOWN_STATE = "wall-shown-since"

COMPACT_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem; padding-bottom: 1rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.6rem; padding: 0 0 0.25rem 0; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.15rem; padding: 0.35rem 0 0.3rem 0; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.55rem; }
[data-testid="stMetric"] { padding: 0.35rem 0.7rem; }
[data-testid="stMetricValue"] { font-size: 1.9rem; }
[data-testid="stAlertContainer"] { padding: 0.45rem 0.75rem; }
"""
WALL_CSS = """
html { font-size: 19px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 1.2rem 1.6rem 0.5rem 1.6rem; }
[data-testid="stMetricValue"] { font-size: 2.6rem; }
"""


@dataclass(frozen=True, slots=True)
class Wall:
    """A wall screen: the pages it cycles through (one: no cycling) and how often."""

    pages: tuple[str, ...]
    every_s: float


def wall_from(params: Mapping[str, str], pages: Collection[str], page: str) -> Wall | None:
    """The wall asked for by the URL, or None. Unknown pages in ``?cycle=`` are left out;
    without any, the wall shows ``page`` alone. A period that is not a number, or is under
    ``MIN_EVERY_S``, is ``MIN_EVERY_S``-clamped or the default."""
    if params.get(WALL_PARAM) not in WALL_ON:
        return None
    cycle = tuple(p for p in (params.get(CYCLE_PARAM) or "").split(",") if p in pages)
    try:
        every = max(float(params.get(EVERY_PARAM) or DEFAULT_EVERY_S), MIN_EVERY_S)
    except ValueError:
        every = DEFAULT_EVERY_S
    return Wall(cycle or (page,), every)


def on_wall() -> bool:
    """Whether this page is drawn for a wall (``?wall=1``)."""
    return st.query_params.get(WALL_PARAM) in WALL_ON


def next_page(wall: Wall, page: str) -> str:
    """The page after ``page`` in the wall's cycle (the first, if ``page`` is not in it)."""
    if page not in wall.pages:
        return wall.pages[0]
    return wall.pages[(wall.pages.index(page) + 1) % len(wall.pages)]


def style(wall: Wall | None) -> None:
    """The page's CSS: compact for every page, and large type without the sidebar on a wall
    (style-only HTML takes no space on the page)."""
    st.html(f"<style>{COMPACT_CSS}{WALL_CSS if wall else ''}</style>")


def take_pending_page(page_state: str) -> None:
    """Before the page choice is drawn: the page a wall's timer asked for (a widget's state
    may only be set before the widget is drawn)."""
    pending = st.session_state.pop(PENDING_STATE, None)
    if pending is not None:
        st.session_state[page_state] = pending


def cycle(wall: Wall, page: str) -> None:
    """On a wall of several pages: after ``wall.every_s`` on this page, the next one."""
    if len(wall.pages) < 2:
        return
    shown = st.session_state.get(SHOWN_STATE)
    if shown is None or shown[0] != page:
        st.session_state[SHOWN_STATE] = (page, time.monotonic())
    st.fragment(_turn, run_every=wall.every_s)(wall, page)


def _turn(wall: Wall, page: str) -> None:
    _, since = st.session_state[SHOWN_STATE]
    if time.monotonic() - since < wall.every_s * 0.9:  # the fragment's first run: too early
        return
    st.session_state[PENDING_STATE] = next_page(wall, page)
    st.rerun(scope="app")
