"""The field report form in a real browser at a phone's size (headless Debian Chromium,
390×844, touch): a warden enters the device key once, picks what happened, taps the map,
sends — and the record reaches the canonical topic through the real gateway and worker,
placed in the LSOA that was tapped; the phone's own location works too; a wrong key is
refused on the page; no axe WCAG 2.2 AA violation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from aggregates.inputs import record_areas
from geography.areas import load_areas
from safer.settings import Settings
from schemas.topics import Topics
from sharing.registry import Subscribers
from tests.dashboard.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, assert_accessible
from tests.integration.gateway import running_gateway
from tests.integration.worker import read_topic, running_worker

WARDENS = """subscriber = "wardens"
sources = ["council"]
level = "records"
precision = "none"
publish = ["council"]
"""
PHONE = {"width": 390, "height": 844}
BIRKENHEAD = {"latitude": 53.3900, "longitude": -3.0235}


@pytest.fixture
def phone() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian chromium is required: scripts/bootstrap.sh browser"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=3,
            is_mobile=True,
            has_touch=True,
            geolocation=BIRKENHEAD,
            permissions=["geolocation"],
        )
        yield context.new_page()
        browser.close()


@pytest.mark.browser
def test_a_warden_reports_from_a_phone(settings: Settings, tmp_path: Path, phone: Page) -> None:
    path = tmp_path / "wardens.toml"
    path.write_text(WARDENS)
    _, key = Subscribers(settings.subscribers_path, settings.agreements_path).add("wardens", path)
    assert key is not None
    areas = load_areas()
    topics = Topics(settings.topic_prefix)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with running_worker(settings, tmp_path), running_gateway(settings, tmp_path) as base:
        phone.goto(f"{base}/v1/report")
        assert phone.title().startswith("Field report")
        assert phone.locator("input[type=file]").count() == 0  # no photo can be attached
        assert phone.locator("textarea").count() == 0  # no free text
        assert_accessible(phone, "field report")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing wider than the phone

        phone.fill("#key", "sk_not-a-key")
        phone.select_option("#asb_type", "scrambler-bikes")
        target = phone.locator("#map .areas polygon").nth(40)
        ward_name = target.get_attribute("data-ward")
        target.tap()
        assert f"On the map in {ward_name}" in phone.inner_text("#point")
        phone.click("#send")
        phone.wait_for_selector("#result.error")
        assert "unknown or revoked API key" in phone.inner_text("#result")

        phone.fill("#key", key)
        phone.check("#youth")
        phone.click("#send")
        phone.wait_for_selector("#result.ok", timeout=30_000)
        phone.screenshot(path=str(ARTIFACTS / "field-report-phone.png"), full_page=True)
        reference = phone.inner_text("#result").removeprefix("Sent. Reference ").rstrip(".")

        phone.reload()  # the key is remembered on the device
        assert phone.input_value("#key") == key
        phone.click("#locate")
        phone.wait_for_function("document.getElementById('point').textContent.includes('phone')")
        phone.select_option("#asb_type", "fly-tipping")
        phone.click("#send")
        phone.wait_for_selector("#result.ok", timeout=30_000)
        second = phone.inner_text("#result").removeprefix("Sent. Reference ").rstrip(".")

        records = [json.loads(v) for v in read_topic(settings, topics.incidents.name, 2)]
    by_key = {r["record_key"]: r for r in records}
    assert set(by_key) == {reference, second}
    tapped = by_key[reference]["data"]
    assert tapped["asb_type"] == "scrambler-bikes"
    assert tapped["category"] == "asb-nuisance"
    assert tapped["people"] == {"youth": True}
    placed = dict(record_areas(tapped["location"], areas))
    assert areas.ward_name(placed["ward"]) == ward_name  # counted in the ward the page named
    located = by_key[second]["data"]
    assert located["category"] == "asb-environmental"
    assert (located["location"]["lat"], located["location"]["lon"]) == (53.39, -3.0235)
