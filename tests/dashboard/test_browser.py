"""The live page in a real browser (headless Debian Chromium driven by Playwright),
against a real `safer up`: it renders live numbers, and they change as events arrive."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from dashboard.access import Accounts
from dashboard.disclosure import Role
from tests.stack import LiveStack

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    stack = LiveStack(tmp_path_factory.mktemp("browser-stack"), "browser", ["--rate", "20"])
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        stack.kill_all()


@pytest.fixture
def page() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian chromium is required: scripts/bootstrap.sh browser"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


ANALYST = ("ana", "browser-test-password")


def sign_in(page: Page, name: str, password: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("textbox", name="Account name").fill(name)
    sidebar.get_by_role("textbox", name="Password").fill(password)
    sidebar.get_by_role("button", name="Sign in").click()
    sidebar.get_by_text(f"Signed in as {name}").wait_for(timeout=30_000)


def metric_value(page: Page, label: str) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    text = metric.locator('[data-testid="stMetricValue"]').inner_text(timeout=30_000)
    return int(re.sub(r"[^\d]", "", text) or "-1")


@pytest.mark.browser
def test_live_numbers_render_and_change(live_stack: LiveStack, page: Page) -> None:
    """The page at the printed URL shows live counts for every source, and they grow."""
    url = live_stack.info["dashboard_url"]
    assert url
    assert url.startswith("http://127.0.0.1:")
    live_stack.wait_until(
        lambda: set(live_stack.snapshot().total_by("source")) >= {"police", "council", "fire"},
        60,
        "counts for all three sources",
    )
    Accounts(live_stack.settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
    page.goto(url)
    page.get_by_text("Viewing as public").first.wait_for(timeout=60_000)
    assert page.get_by_text("All incidents").count() == 0  # analyst-only figures
    sign_in(page, *ANALYST)
    page.get_by_text("All incidents").first.wait_for(timeout=60_000)
    first = metric_value(page, "All incidents")
    assert first > 0
    for source in ("Police", "Council", "Fire"):
        assert metric_value(page, source) > 0
    deadline = time.monotonic() + 45
    later = first
    while later <= first and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        later = metric_value(page, "All incidents")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)
    assert later > first, "the live numbers did not change without a page reload"
    assert page.locator('[data-testid="stException"]').count() == 0
