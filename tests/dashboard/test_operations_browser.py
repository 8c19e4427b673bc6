"""The Operations page in a real browser on the live stack: an analyst creates an operation
from the form, the worker back-fills it, the page shows it live with the same figures as
``safer operations evaluate``, and its PDF report downloads and opens."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

from dashboard.access import Accounts
from dashboard.disclosure import Role
from tests.dashboard.test_browser import ANALYST, ARTIFACTS, metric_value, page, sign_in
from tests.stack import LiveStack

__all__ = ["page"]  # the Chromium fixture
NAME = "Operation Browser Park"
SLUG = "browser-park"


def _pick(page: Page, label: str, *choices: str) -> None:
    """Choose options of a Streamlit multiselect by typing their labels."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=label).first
    for choice in choices:
        box.click()
        page.keyboard.type(choice)
        page.keyboard.press("Enter")
    page.keyboard.press("Escape")


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

        page.goto(f"{url}/?page=operations&op={SLUG}")
        deadline = time.monotonic() + 120
        while page.get_by_text(f"{NAME} — live").count() == 0:  # until back-filled
            assert time.monotonic() < deadline, "the operation never showed live"
            time.sleep(3)
            page.reload()
            page.get_by_text("History:").first.wait_for(timeout=60_000)
        page.get_by_text("Target, operation so far").wait_for(timeout=60_000)
        shown = metric_value(page, "Target, operation so far")
        evaluated = stack.cli("operations", "evaluate", SLUG, "--format", "json")
        assert evaluated.returncode == 0, evaluated.stderr
        result = json.loads(evaluated.stdout)
        assert shown == result["counts"]["target"]["operation"]
        assert result["design"]["zones"]["buffer"] == {"metres": 400.0}
        _shot(page, "operations-live.png")

        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Download the report (PDF)").click()
        saved = tmp_path / "report.pdf"
        download.value.save_as(saved)
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
        assert NAME in text
        assert "Weighted Displacement Difference" in text
        assert "Birkenhead and Tranmere" in text
    finally:
        stack.kill_all()
