"""Wall mode from the URL and the order it cycles pages in (``dashboard.layout``)."""

from __future__ import annotations

from dashboard import layout

PAGES = ("live", "alerts", "areas", "trends")


def test_no_wall_unless_asked() -> None:
    """Without ?wall=1 (or with any other value) a page is drawn as a page."""
    assert layout.wall_from({}, PAGES, "live") is None
    assert layout.wall_from({"wall": "0"}, PAGES, "live") is None


def test_a_wall_of_one_page_does_not_cycle() -> None:
    """?wall=1 alone shows the page it was opened on, at the default period."""
    wall = layout.wall_from({"wall": "1"}, PAGES, "alerts")
    assert wall == layout.Wall(("alerts",), layout.DEFAULT_EVERY_S)


def test_a_cycle_keeps_known_pages_in_order_and_a_sane_period() -> None:
    """Unknown pages are left out; a period under the minimum is raised to it, one that is
    not a number is the default."""
    wall = layout.wall_from(
        {"wall": "1", "cycle": "live,nowhere,alerts", "every": "2"}, PAGES, "live"
    )
    assert wall == layout.Wall(("live", "alerts"), layout.MIN_EVERY_S)
    odd = layout.wall_from({"wall": "1", "cycle": "trends", "every": "soon"}, PAGES, "live")
    assert odd == layout.Wall(("trends",), layout.DEFAULT_EVERY_S)


def test_next_page_wraps_round_and_starts_at_the_first() -> None:
    wall = layout.Wall(("live", "alerts", "areas"), 30.0)
    assert [layout.next_page(wall, p) for p in ("live", "alerts", "areas")] == [
        "alerts",
        "areas",
        "live",
    ]
    assert layout.next_page(wall, "trends") == "live"  # opened on a page not in the cycle
