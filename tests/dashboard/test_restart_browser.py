"""`make up`, feed data, Ctrl-C, `make up` again: the dashboard in a real browser shows the
same figures after the restart (the log restored from its archive, Redis kept), to the same
signed-in analyst."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from aggregates.disclosure import Role
from dashboard.access import Accounts
from tests.dashboard.test_browser import ANALYST, ARTIFACTS, metric_value, page, sign_in
from tests.data_files import data_file, pandas_counts
from tests.stack import LiveStack

__all__ = ["page"]  # the Chromium fixture
METRICS = ("All incidents", "police", "council", "fire")


def _cli(stack: LiveStack, *args: str) -> None:
    done = stack.cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr


def _settled(stack: LiveStack, police: int) -> None:
    """Until the worker has counted the whole month and the simulated burst (the feed and
    the simulator return once the broker has their messages, before they are counted)."""
    previous: dict[str, int] = {}

    def counted() -> bool:
        nonlocal previous
        now = stack.snapshot().total_by("source")
        done = now.get("police") == police and {"council", "fire"} <= set(now) and now == previous
        previous = now
        return done

    stack.wait_until(counted, 120, "the police month and the burst counted")


def _live_figures(stack: LiveStack, page: Page, shot: str, *, signed_in: bool) -> dict[str, int]:
    """The counts per source as the analyst sees them on the Feeds page (``signed_in``: the
    session, kept in the state folder and the browser's cookie, is expected to have
    survived the restart)."""
    page.goto(stack.info["dashboard_url"] + "/?page=feeds")
    if signed_in:
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text(f"Signed in as {ANALYST[0]}").wait_for(timeout=60_000)
    else:
        sign_in(page, *ANALYST)
    page.get_by_text("All incidents").first.wait_for(timeout=60_000)
    figures = {label: metric_value(page, label) for label in METRICS}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=False)
    return figures


@pytest.mark.browser
def test_restart_shows_the_same_figures(tmp_path: Path, namespace: str, page: Page) -> None:
    """The counts per source are the same before a Ctrl-C and after the restart, and the
    analyst's sign-in survives it too."""
    state = tmp_path / "state"
    first = LiveStack(state, namespace, ["--no-simulator"])
    first.start()
    try:
        month = data_file("2018-03-merseyside-street.csv")
        _cli(first, "feed", "police", str(month))
        _cli(first, "simulate", "--count", "400", "--seed", "5", "--sources", "council", "fire")
        _settled(first, police=sum(pandas_counts(month).values()))
        Accounts(first.settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
        before = _live_figures(first, page, "restart-before.png", signed_in=False)
        assert before["All incidents"] > 0
        assert first.stop(signal.SIGINT) == 0
    finally:
        first.kill_all()
    second = LiveStack(state, namespace, ["--no-simulator"])
    second.start()
    try:
        after = _live_figures(second, page, "restart-after.png", signed_in=True)
        assert after == before
        assert second.stop(signal.SIGINT) == 0
    finally:
        second.kill_all()
