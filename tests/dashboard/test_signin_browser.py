"""Sign-in in a real browser (headless Debian Chromium driven by Playwright) against the
dashboard server ``safer up`` runs (``dashboard/serve.py``, started with the supervisor's own
command line) on the test run's real redis-server: the session survives a reload and a new
tab, sign-out ends it in every tab, and an idle session expires."""

from __future__ import annotations

import contextlib
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    ViewportSize,
    sync_playwright,
)

from aggregates.disclosure import Role
from cli.stack.procs import Component, free_port, wait_until
from cli.stack.supervisor import dashboard_command
from dashboard.access import Accounts
from dashboard.audit import AuditLog
from dashboard.audit_chain import verify
from dashboard.sessions import COOKIE_NAME
from safer.settings import Settings, child_env
from tests.dashboard.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, sign_in

ANALYST = ("ana", "browser-signin-password")
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
IDLE_S = 4.0


@contextlib.contextmanager
def dashboard(settings: Settings, log: Path) -> Iterator[str]:
    """The dashboard server alone, on a free port, with these settings; its URL."""
    port = free_port()
    server = Component("dashboard", dashboard_command(port), log, child_env(settings))
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url), 90, "dashboard")
        yield url
    finally:
        server.stop(10.0)


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
        return bool(response.status == 200)


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian chromium is required: scripts/bootstrap.sh browser"
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def session_cookie(context: BrowserContext) -> dict[str, object] | None:
    found = [c for c in context.cookies() if c.get("name") == COOKIE_NAME]
    return dict(found[0]) if found else None


def wait_for_cookie(context: BrowserContext, present: bool) -> None:
    deadline = time.monotonic() + 30
    while (session_cookie(context) is not None) != present and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (session_cookie(context) is not None) == present, f"session cookie present={present}"


def sidebar(page: Page) -> Locator:
    return page.locator('[data-testid="stSidebar"]')


def assert_public(page: Page) -> None:
    sidebar(page).get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    assert sidebar(page).get_by_text("Signed in as").count() == 0


def open_signed_in(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    sidebar(page).get_by_role("button", name="Sign out").wait_for(timeout=60_000)
    return page


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.mark.browser
def test_session_survives_reload_and_new_tab_until_sign_out(
    settings: Settings, tmp_path: Path, browser: Browser
) -> None:
    """Signed in, a reload and a second tab stay signed in (an HttpOnly, SameSite=Strict
    cookie no script can read); signing out in the second tab signs the first out on its
    next rerun, and a reload after that is public."""
    Accounts(settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
    with dashboard(settings, tmp_path / "dashboard.log") as url:
        context = browser.new_context(viewport=VIEWPORT)
        first = context.new_page()
        first.goto(url)
        assert_public(first)
        sign_in(first, *ANALYST)
        wait_for_cookie(context, present=True)
        cookie = session_cookie(context)
        assert cookie is not None
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)
        assert COOKIE_NAME not in first.evaluate("document.cookie")
        assert COOKIE_NAME not in first.url
        first.reload()
        sidebar(first).get_by_role("button", name="Sign out").wait_for(timeout=60_000)
        screenshot(first, "signin-after-reload")
        second = open_signed_in(context, url + "/?page=trends")
        sidebar(second).get_by_role("button", name="Sign out").click()
        assert_public(second)
        sidebar(first).get_by_text("Hot-spot times", exact=True).click()  # a rerun
        sidebar(first).get_by_text("You were signed out").wait_for(timeout=60_000)
        assert_public(first)
        screenshot(first, "signin-signed-out-elsewhere")
        first.reload()
        assert_public(first)
        wait_for_cookie(context, present=False)
    actions = [(e["user"], e["action"]) for e in AuditLog(settings.audit_path).entries()]
    assert [a for a in actions if a[1] in ("sign-in", "sign-out")] == [
        ("ana", "sign-in"),
        ("ana", "sign-out"),
    ]
    assert verify(settings.audit_path).intact


@pytest.mark.browser
def test_an_idle_session_expires(settings: Settings, tmp_path: Path, browser: Browser) -> None:
    """With a 4 s idle expiry, a reload after 6 s untouched is public and says why; the
    session's end is audited and its cookie forgotten."""
    idle = settings.model_copy(update={"signin_idle_expiry_s": IDLE_S})
    Accounts(idle.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
    with dashboard(idle, tmp_path / "dashboard.log") as url:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url)
        sign_in(page, *ANALYST)
        wait_for_cookie(context, present=True)
        time.sleep(IDLE_S + 2)
        page.reload()
        sidebar(page).get_by_text("Your sign-in ended after 4 s without use").wait_for(
            timeout=60_000
        )
        assert_public(page)
        screenshot(page, "signin-idle-expired")
        wait_for_cookie(context, present=False)
    ended = [e for e in AuditLog(idle.audit_path).entries() if e["action"] == "session-ended"]
    assert [(e["user"], e["reason"]) for e in ended] == [("ana", "idle")]
