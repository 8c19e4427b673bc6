"""What a viewer chose to see (``dashboard.selection``): sources and categories."""

from __future__ import annotations

from dashboard.selection import (
    Selection,
    category_options,
    parse_categories,
    wanted_categories,
)
from schemas.categories import ACTIVITY_CATEGORIES, CATEGORY_GROUPS, CATEGORY_SOURCE

ALL = ("police", "council", "fire")


def test_no_category_chosen_shows_every_category_of_the_sources() -> None:
    police = Selection(("police",))
    assert police.wanted == {c for c, s in CATEGORY_SOURCE.items() if s.value == "police"}
    assert wanted_categories(["police"]) == police.wanted  # plain source names alike
    assert list(police) == ["police"]
    assert police.narrowed_text() == "Filtered to: Police."
    assert Selection(ALL).narrowed_text() is None


def test_a_group_spans_agencies_and_sources_still_narrow_it() -> None:
    """All ASB is police, council ASB unit and control-room ASB; without the council only
    the police's remains."""
    everyone = Selection(ALL, ("all-asb",))
    assert everyone.wanted == {
        "anti-social-behaviour",
        "asb-personal",
        "asb-nuisance",
        "asb-environmental",
        "call-asb",
    }
    assert Selection(("police",), ("all-asb",)).wanted == {"anti-social-behaviour"}
    both = Selection(ALL, ("all-asb", "burglary"))
    assert "burglary" in both.wanted
    assert both.narrowed_text() == "Filtered to: categories: All anti-social behaviour, Burglary."
    assert both.params() == {"source": list(ALL), "cat": ["all-asb", "burglary"]}
    assert both.export_filters()["categories"] == "All anti-social behaviour, Burglary"


def test_options_and_parsing() -> None:
    """Groups first, then every incident category by name (no police activity such as stop
    and search); unknown slugs from a link are dropped and repeats removed."""
    options = list(category_options())
    assert options[: len(CATEGORY_GROUPS)] == list(CATEGORY_GROUPS)
    assert not ACTIVITY_CATEGORIES & set(options)
    assert parse_categories(["drugs", "made-up", "all-violence", "drugs"]) == (
        "all-violence",
        "drugs",
    )


def test_every_group_holds_known_categories() -> None:
    for slug, (label, members) in CATEGORY_GROUPS.items():
        assert slug.startswith("all-")
        assert label
        assert members <= set(CATEGORY_SOURCE), slug
