"""The live page in a real browser (headless Debian Chromium driven by Playwright),
against a real `safer up` (a day of simulated history, then live traffic): it renders live
numbers, and they change as events arrive."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from playwright.sync_api import Page, sync_playwright
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader
from redis import Redis

from aggregates.disclosure import FEWER, SMALL, Role
from alerts.events import to_event
from alerts.groups import DEFAULT_GROUPS
from alerts.model import span_at
from alerts.states import Alert, alert_id
from dashboard import drill_map
from dashboard.access import Accounts, AuditLog
from geography.areas import load_areas
from store.alert_state import AlertStore
from store.keys import Keys
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
    # a first run as a new user sees it: a day of simulated history, then live traffic
    args = ["--rate", "1", "--history", "1d"]
    stack = LiveStack(tmp_path_factory.mktemp("browser-stack"), "browser", args)
    stack.start(timeout_s=240)
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


BIRKENHEAD = "E05000956"
ANALYST = ("ana", "browser-test-password")
PARTNER = ("pat", "browser-partner-password")


def sign_in(page: Page, name: str, password: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("textbox", name="Account name").fill(name)
    sidebar.get_by_role("textbox", name="Password").fill(password)
    sidebar.get_by_role("button", name="Sign in").click()
    sidebar.get_by_text(f"Signed in as {name}").wait_for(timeout=30_000)


WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def assert_accessible(page: Page, view: str) -> None:
    """No WCAG 2.2 A/AA violation that axe-core finds on the page as it is now."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    assert results.violations_count == 0, f"{view}: {results.generate_report()[:4000]}"


def metric_value(page: Page, label: str) -> int:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    text = metric.locator('[data-testid="stMetricValue"]').inner_text(timeout=30_000)
    return int(re.sub(r"[^\d]", "", text) or "-1")


@pytest.mark.browser
def test_live_numbers_render_and_change(live_stack: LiveStack, page: Page) -> None:
    """The page at the printed URL shows live counts, and they grow without a reload; the
    Feeds page has every source's all-time count (analyst)."""
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
    assert page.get_by_text("Last hour", exact=True).count() == 0  # the analyst's windows
    page.get_by_text("Export this view").wait_for(timeout=60_000)
    assert page.get_by_text("Includes simulated history from").count() == 1
    assert_accessible(page, "live, public")
    sign_in(page, *ANALYST)
    page.get_by_text("Last hour", exact=True).first.wait_for(timeout=60_000)
    first = metric_value(page, "Last 24 hours")
    assert first > 0
    deadline = time.monotonic() + 45
    later = first
    while later <= first and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        later = metric_value(page, "Last 24 hours")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)
    assert later > first, "the live numbers did not change without a page reload"
    page.get_by_text("Export this view").wait_for(timeout=60_000)
    assert_accessible(page, "live, analyst")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.locator('[data-testid="stSidebar"]').get_by_text("Feeds", exact=True).click()
    page.get_by_text("All incidents").first.wait_for(timeout=60_000)
    for source in ("All incidents", "Police", "Council", "Fire"):
        assert metric_value(page, source) > 0


@pytest.mark.browser
def test_exports_download_and_open(live_stack: LiveStack, page: Page, tmp_path: Path) -> None:
    """A partner downloads the Excel and PDF exports of the Live page: they open, carry the
    role, filters and caveats, and each download is in the audit log."""
    Accounts(live_stack.settings.accounts_path).add(PARTNER[0], Role.PARTNER, PARTNER[1])
    page.goto(live_stack.info["dashboard_url"] + "/?source=police&source=council")
    sign_in(page, *PARTNER)
    page.get_by_text("Export this view").wait_for(timeout=60_000)
    page.get_by_text("Map — ").first.wait_for(timeout=60_000)
    page.locator("canvas").first.wait_for(timeout=60_000)  # the map drawn: it is exported
    files = {}
    for label in ("Excel", "PDF", "PowerPoint"):
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=f"Download {label}").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        files[label] = path
    assert files["Excel"].name.startswith("safer-live-partner-")
    book = load_workbook(files["Excel"])
    assert book.sheetnames[:3] == ["About", "Recent windows", "Above normal — last 7 days"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(min_row=2, values_only=True)}
    assert about["Disclosed for role"] == "partner"
    assert about["Filter: sources"] == "Police, Council"
    windows = list(book["Recent windows"].iter_rows(values_only=True))
    assert windows[0][:2] == ("Window", "Incidents")
    shown = [row[1] for row in windows[1:]]
    assert [w[0] for w in windows[1:]] == ["Yesterday", "Last 7 days", "Last 28 days"]
    assert all(cell in (FEWER, SMALL) or cell % 5 == 0 for cell in shown)  # numbers, rounded
    assert all(isinstance(cell, int) for cell in shown if cell not in (FEWER, SMALL))
    pdf = PdfReader(files["PDF"])
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "Disclosed for role: partner" in " ".join(text.split())
    assert sum(len(p.images) for p in pdf.pages) >= 1  # the map
    deck = Presentation(str(files["PowerPoint"]))
    shapes = [shape for slide in deck.slides for shape in slide.shapes]
    assert "Recent windows" in [shape.text_frame.text for shape in shapes if shape.has_text_frame]
    pictures = [shape for shape in shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert pictures, "the map's slide"
    kpis = {r[0]: r[1] for r in windows[1:]}
    for label in ("Yesterday", "Last 7 days"):
        shown = metric_value(page, label)
        assert kpis[label] == shown  # the page's figure, as a number in Excel
    exports = [
        e for e in AuditLog(live_stack.settings.audit_path).entries() if e["action"] == "export"
    ]
    assert {(e["user"], e["format"]) for e in exports} >= {("pat", "xlsx"), ("pat", "pdf")}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live-partner.png"), full_page=True)
    assert_accessible(page, "live, partner")
    assert page.locator('[data-testid="stException"]').count() == 0


def _seed_alert(stack: LiveStack, ward: str = BIRKENHEAD, slug: str = "youth-asb") -> str:
    """An alert raised now, as the stream stores it (default: youth ASB in Birkenhead and
    Tranmere)."""
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.isoformat().replace("+00:00", "Z")
    group = next(g for g in DEFAULT_GROUPS if g.slug == slug)
    key = ("ward", ward, group.slug, "hour")
    alert = Alert(
        id=alert_id("spike", key, stamp),
        kind="spike",
        state="raised",
        level="ward",
        area=ward,
        group=group.slug,
        window="hour",
        observed=14,
        expected=3.1,
        spread=1.9,
        p=0.0002,
        p_adjusted=0.004,
        raised_at=stamp,
        updated_at=stamp,
        sequence=1,
    )
    span = span_at("hour", now)
    name = load_areas(stack.settings.partnership).ward_name(ward)
    event = to_event(alert, group, name, (span.start, span.end), 0.05, 8)
    redis = Redis.from_url(stack.info["redis_url"])
    try:
        AlertStore(redis, Keys(stack.settings.redis_prefix)).save([(alert, event)])
    finally:
        redis.close()
    return alert.id


@pytest.mark.browser
def test_a_raised_alert_leads_the_live_page(live_stack: LiveStack, page: Page) -> None:
    """An active alert is the first thing on Live: rounded and without p for the public,
    exact for the analyst, with a link to its ward; the analyst acknowledges it on the
    Alerts page (audited)."""
    alert = _seed_alert(live_stack)
    Accounts(live_stack.settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
    url = live_stack.info["dashboard_url"]
    page.goto(url)
    public = "Birkenhead and Tranmere: unusually high — about 15 youth ASB incidents since"
    page.get_by_text(public).wait_for(timeout=60_000)
    assert page.get_by_text("p = 0.0002").count() == 0
    heading = page.get_by_text("Active alerts (1)")
    below = page.get_by_text("Above normal — ").first
    assert heading.bounding_box()["y"] < below.bounding_box()["y"]  # type: ignore[index]
    sign_in(page, *ANALYST)
    page.get_by_text("Birkenhead and Tranmere: 14 youth ASB incidents since").wait_for(
        timeout=60_000
    )
    link = page.get_by_role("link", name="Open Birkenhead and Tranmere")
    assert link.get_attribute("href") == f"?page=areas&area={BIRKENHEAD}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live-alert.png"), full_page=True)
    assert_accessible(page, "live with an alert, analyst")
    page.locator('[data-testid="stSidebar"]').get_by_text("Alerts", exact=True).click()
    page.get_by_role("button", name="Acknowledge").wait_for(timeout=60_000)
    # a day of history: the stack's alert job says why it raises no spike alert itself
    assert page.get_by_text("Not enough history for spike alerts").count() == 1
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("acknowledged by ana").wait_for(timeout=60_000)
    acks = [
        e
        for e in AuditLog(live_stack.settings.audit_path).entries()
        if e["action"] == "alert-acknowledged"
    ]
    assert [e["filters"]["alert"] for e in acks] == [alert]
    page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
    assert_accessible(page, "alerts, analyst")
    page.goto(f"{url}/?page=areas&area={BIRKENHEAD}")
    page.get_by_text("Birkenhead and Tranmere").first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.browser
def test_every_page_renders_accessibly(live_stack: LiveStack, page: Page) -> None:
    """Each page, signed in as the analyst: no error, no empty panel, no axe violation, and
    a screenshot (artifacts/screenshots/, git-ignored)."""
    Accounts(live_stack.settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
    url = live_stack.info["dashboard_url"]
    page.goto(url)
    sign_in(page, *ANALYST)
    for slug, label, heading in (
        ("briefing", "Overnight briefing", "Since "),
        ("areas", "Area drill-down", "Wards"),
        ("trends", "Trends", "Monthly incidents and the year before"),
        ("hotspots", "Hot-spot times", "When incidents happen"),
        ("profiles", "Profiles", "Youth or adult"),
        ("alerts", "Alerts", "History"),
        ("feeds", "Feeds", "Feed freshness"),
    ):
        # in-app navigation (a page load keeps the sign-in too, but starts a new session)
        page.locator('[data-testid="stSidebar"]').get_by_text(label, exact=True).click()
        # the page first (a heading such as "Since " also matches an alert's "since 15:00")
        page.wait_for_url(re.compile(rf"[?&]page={slug}(&|$)"), timeout=60_000)
        page.get_by_text(heading).first.wait_for(timeout=60_000)
        # the previous page's elements linger for a moment while the new page renders
        exports = page.get_by_text("Export this view")
        wanted = 0 if slug == "feeds" else 1  # the Feeds page is health, not figures
        deadline = time.monotonic() + 60  # once seen to take over 30 s on a loaded machine
        while exports.count() != wanted and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        assert exports.count() == wanted
        # and the previous page's leftovers (faded while this one runs) are gone
        stale = page.locator('[data-stale="true"]')
        while stale.count() and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        assert f"page={slug}" in page.url
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("Signed in as ana").count() == 1
        assert page.get_by_text("Includes simulated history from").count() == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
        assert_accessible(page, slug)


def _main_scroll(page: Page) -> tuple[int, int]:
    """(scrollHeight, clientHeight) of the page's scrolling main area."""
    found = page.locator('[data-testid="stMain"]').evaluate("m => [m.scrollHeight, m.clientHeight]")
    return int(found[0]), int(found[1])


@pytest.mark.browser
def test_the_control_room_screen_fits_without_scrolling(live_stack: LiveStack, page: Page) -> None:
    """With alerts active, Live shows its status, alerts, windows, map, wards above normal
    and latest incidents at 1920×1080 and 1440×900 with no vertical scroll, for the public
    and the analyst; ?wall=1 drops the sidebar and cycles the pages it names."""
    others = sorted(set(load_areas(live_stack.settings.partnership).ward_names) - {BIRKENHEAD})
    for ward, group in zip(others[:3], ("deliberate-fires", "burglary", "all"), strict=True):
        _seed_alert(live_stack, ward, group)
    Accounts(live_stack.settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
    url = live_stack.info["dashboard_url"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for who in ("public", "analyst"):
        for width, height in ((1920, 1080), (1440, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(url)
            if who == "analyst" and width == 1920:  # then kept by the browser's cookie
                sign_in(page, *ANALYST)
            page.get_by_text(f"Viewing as {who}").first.wait_for(timeout=60_000)
            page.get_by_text("Map — ").first.wait_for(timeout=60_000)
            page.locator("canvas").first.wait_for(timeout=60_000)
            page.get_by_text("more on the Alerts page").wait_for(timeout=60_000)
            page.wait_for_timeout(1500)  # the panels' first refresh has settled
            scroll, client = _main_scroll(page)
            page.screenshot(path=str(ARTIFACTS / f"control-room-{who}-{width}.png"))
            assert scroll <= client + 2, f"{who} at {width}×{height}: {scroll} px in {client}"
            for heading in ("Active alerts (", "Above normal — ", "Map — "):
                box = page.get_by_text(heading).first.bounding_box()
                assert box is not None, heading
                assert box["y"] + box["height"] <= height, heading
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{url}/?wall=1&cycle=live,alerts&every=15")
    page.get_by_text("Map — ").first.wait_for(timeout=60_000)
    page.locator("canvas").first.wait_for(timeout=60_000)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    page.screenshot(path=str(ARTIFACTS / "control-room-wall.png"))
    page.wait_for_url(re.compile(r"[?&]page=alerts(&|$)"), timeout=60_000)
    page.get_by_text("History").first.wait_for(timeout=60_000)
    assert "wall=1" in page.url
    page.wait_for_url(re.compile(r"[?&]page=live(&|$)"), timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def _click_area(
    page: Page, view: tuple[float, float, float], point: tuple[float, float], then: str
) -> None:
    """Click the drill-down map where a point is drawn (deck.gl's Web Mercator view) once
    its polygons are pickable (hovering there shows the area's tooltip), until the URL
    matches ``then``."""
    chart = page.locator('[data-testid="stDeckGlJsonChart"]').first
    chart.wait_for(timeout=60_000)
    page.locator("canvas").first.wait_for(timeout=60_000)
    dx, dy = drill_map.screen_offset(view, *point)
    wanted = re.compile(then)
    tooltip = page.locator(".deck-tooltip")
    deadline = time.monotonic() + 120  # a loaded machine draws slowly
    while time.monotonic() < deadline:
        box = chart.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
        page.mouse.move(x - 3, y)
        page.mouse.move(x, y)
        page.wait_for_timeout(500)
        if not (tooltip.count() and tooltip.first.is_visible()):
            continue  # not pickable yet
        page.mouse.click(x, y)
        settle = time.monotonic() + 20
        while not wanted.search(page.url) and time.monotonic() < settle:
            page.wait_for_timeout(250)
        if wanted.search(page.url):
            return
    raise AssertionError(f"clicking the map never drilled in: {page.url}")


@pytest.mark.browser
def test_clicking_the_map_drills_partnership_ward_lsoa(live_stack: LiveStack, page: Page) -> None:
    """The analyst clicks a ward on the drill-down's map, then an LSOA of it: each click
    drills in and the URL follows; a row of the ward table drills too."""
    Accounts(live_stack.settings.accounts_path).add(ANALYST[0], Role.ANALYST, ANALYST[1])
    areas = load_areas(live_stack.settings.partnership)
    url = live_stack.info["dashboard_url"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(url)
    sign_in(page, *ANALYST)
    page.goto(f"{url}/?page=areas&window=7d")
    page.get_by_text("Wirral: ").first.wait_for(timeout=60_000)
    target = next(a for a in areas.lsoas if a.ward_code == BIRKENHEAD)
    whole = drill_map.view_of(areas, [a.code for a in areas.lsoas])
    _click_area(page, whole, (target.lat, target.lon), rf"[?&]area={BIRKENHEAD}(&|$)")
    page.get_by_text("Birkenhead and Tranmere: ").first.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "drill-ward.png"))
    in_ward = [a.code for a in areas.lsoas if a.ward_code == BIRKENHEAD]
    view = drill_map.view_of(areas, in_ward)
    _click_area(page, view, (target.lat, target.lon), rf"[?&]lsoa={target.code}(&|$)")
    page.get_by_text(f"({target.code}), in Birkenhead and Tranmere: ").first.wait_for(
        timeout=60_000
    )
    page.screenshot(path=str(ARTIFACTS / "drill-lsoa.png"))
    assert_accessible(page, "drill-down of an LSOA, analyst")
    page.goto(f"{url}/?page=areas&window=7d")
    page.get_by_text("Wirral: ").first.wait_for(timeout=60_000)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the first row's tick box
    deadline = time.monotonic() + 60
    while "area=E05" not in page.url and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert "area=E05" in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
