"""The Operations page in a real browser on the live stack: an analyst creates an operation
from the form, the worker back-fills it, the page shows it live with the same figures as
``safer operations evaluate``, and its PDF report downloads and opens; the analyst edits
it (a new version, counted once back-filled); a partner sees it with disclosed figures
only, no form, and downloads a report of those."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

from aggregates.disclosure import Role, disclose
from dashboard.access import Accounts
from tests.dashboard.test_browser import (
    ANALYST,
    ARTIFACTS,
    PARTNER,
    metric_value,
    page,
    sign_in,
)
from tests.stack import LiveStack

__all__ = ["page"]  # the Chromium fixture
NAME = "Operation Browser Park"
SLUG = "browser-park"


def _pick(page: Page, label: str, *choices: str) -> None:
    """Choose options of a Streamlit multiselect by typing their labels."""
    box = page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]')
    box = box.filter(has_text=label).first
    for choice in choices:
        box.click()
        page.keyboard.type(choice)
        page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def _until_live(page: Page, url: str, version: int | None = None, navigate: bool = True) -> None:
    """Reload the operation's page until it shows it live (back-filled; ``version``: that
    version counted). ``navigate=False``: the page is there already (just signed in: a
    navigation at once could overtake the sign-in's session cookie)."""
    deadline = time.monotonic() + 120
    if navigate:
        page.goto(f"{url}/?page=operations&op={SLUG}")
    while True:
        page.get_by_text("History:").first.wait_for(timeout=60_000)
        live = page.get_by_text(f"{NAME} — live").count() > 0
        pending = page.get_by_text("is being back-filled").count() > 0
        if live and not (version and pending):
            return
        assert time.monotonic() < deadline, "the operation never showed live"
        time.sleep(3)
        page.reload()


def _evaluate(stack: LiveStack) -> dict[str, object]:
    evaluated = stack.cli("operations", "evaluate", SLUG, "--format", "json")
    assert evaluated.returncode == 0, evaluated.stderr
    result: dict[str, object] = json.loads(evaluated.stdout)
    return result


def _pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.mark.browser
def test_create_an_operation_see_it_live_download_its_report(
    tmp_path: Path, namespace: str, page: Page
) -> None:
    stack = LiveStack(tmp_path / "state", namespace, ["--no-simulator"])
    stack.start()
    try:
        done = stack.cli("simulate", "--count", "600", "--seed", "3", "--sources", "council")
        assert done.returncode == 0, done.stderr
        Accounts(stack.settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
        url = stack.info["dashboard_url"]
        page.goto(f"{url}/?page=operations")
        sign_in(page, *ANALYST)
        page.get_by_text("New operation", exact=True).wait_for(timeout=60_000)
        page.get_by_label("Name", exact=True).fill(NAME)
        _pick(page, "Categories", "ASB – nuisance", "ASB – personal")
        _pick(page, "Target wards", "Birkenhead and Tranmere", "Bidston and St James")
        page.get_by_label("Buffer ring around the target").fill("400")
        _shot(page, "operations-form.png")
        page.get_by_role("button", name="Save operation").click()
        page.get_by_text(f"Saved {NAME}, version 1").wait_for(timeout=30_000)

        _until_live(page, url)
        page.get_by_text("Target, operation so far").wait_for(timeout=60_000)
        shown = metric_value(page, "Target, operation so far")
        result = _evaluate(stack)
        assert shown == result["counts"]["target"]["operation"]  # type: ignore[index]
        assert result["design"]["zones"]["buffer"] == {"metres": 400.0}  # type: ignore[index]
        _shot(page, "operations-live.png")

        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download the report (PDF)").click()
        saved = tmp_path / "report.pdf"
        download.value.save_as(saved)
        text = _pdf_text(saved)
        assert NAME in text
        assert "Weighted Displacement Difference" in text
        assert "Birkenhead and Tranmere" in text

        # the analyst edits it: version 2, counted once the worker has back-filled it
        page.get_by_text("Edit this operation").first.click()
        ring = page.get_by_label("Buffer ring around the target")
        ring.fill("250")
        page.get_by_label("What changed").fill("a tighter buffer")
        page.get_by_role("button", name="Save operation").click()
        page.get_by_text(f"Saved {NAME}, version 2").wait_for(timeout=30_000)
        _until_live(page, url, version=2)
        edited = _evaluate(stack)
        assert edited["version"] == 2
        assert edited["design"]["zones"]["buffer"] == {"metres": 250.0}  # type: ignore[index]
        page.get_by_text("History: 2 versions").wait_for(timeout=30_000)

        # a partner: the disclosed figures, no form, a report of what they may see
        Accounts(stack.settings.accounts_path).add(PARTNER[0], Role.PARTNER, PARTNER[1])
        browser = page.context.browser
        assert browser is not None
        partner = browser.new_page(viewport={"width": 1400, "height": 1000})
        partner.goto(f"{url}/?page=operations&op={SLUG}")
        sign_in(partner, *PARTNER)
        _until_live(partner, url, navigate=False)
        counts = edited["counts"]["target"]  # type: ignore[index]
        expected = disclose(int(counts["operation"]), Role.PARTNER).text
        metric = partner.locator('[data-testid="stMetric"]').filter(
            has_text="Target, operation so far"
        )
        value = metric.first.locator('[data-testid="stMetricValue"]').inner_text(timeout=30_000)
        assert value == expected
        assert partner.get_by_text("Edit this operation").count() == 0
        assert partner.get_by_text("New operation").count() == 0
        assert partner.get_by_text("Busiest LSOAs").count() == 0
        _shot(partner, "operations-partner.png")
        with partner.expect_download(timeout=60_000) as download:
            partner.get_by_role("button", name="Download the report (PDF)").click()
        shared = tmp_path / "partner.pdf"
        download.value.save_as(shared)
        assert "partner" in download.value.suggested_filename
        text = _pdf_text(shared)
        assert NAME in text
        assert expected in text
    finally:
        stack.kill_all()
