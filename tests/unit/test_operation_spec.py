"""The operation file: defaults, derived slug and baselines, one-line errors naming the field."""

from __future__ import annotations

from datetime import date

import pytest

from operations.spec import OperationError, parse_operation

BASE = """
name = "Operation Open Space 2018"
categories = ["anti-social-behaviour"]
start = "2018-07-01"
end = "2018-08-01"
[target]
wards = ["E05000956"]
"""


def test_defaults_and_derived_slug() -> None:
    spec = parse_operation(BASE)
    assert spec.slug == "open-space-2018"
    assert spec.youth == "any"
    assert {s.value for s in spec.sources} == {"police", "council", "fire"}
    # previous-period: the same length just before
    assert spec.baseline_period.start == date(2018, 5, 31)
    assert spec.baseline_period.end == date(2018, 7, 1)


def test_same_period_last_year_is_364_days_earlier() -> None:
    spec = parse_operation(BASE.replace("[target]", 'baseline = "same-period-last-year"\n[target]'))
    assert spec.baseline_period.start == date(2017, 7, 2)  # a Sunday, like 2018-07-01
    assert spec.baseline_period.start.weekday() == date(2018, 7, 1).weekday()
    assert (spec.baseline_period.end - spec.baseline_period.start).days == 31


def test_explicit_baseline_and_slug() -> None:
    text = BASE.replace(
        "[target]",
        'slug = "oos"\nbaseline = { start = "2018-06-01", end = "2018-07-01" }\n[target]',
    )
    spec = parse_operation(text)
    assert spec.slug == "oos"
    assert spec.baseline_period.days == 30


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('end = "2018-08-01"', 'end = "2018-06-01"'), "end: 2018-06-01 is not after start"),
        (('["anti-social-behaviour"]', '["anti-social"]'), "categories: unknown category"),
        (
            (
                'categories = ["anti-social-behaviour"]',
                'categories = ["anti-social-behaviour"]\nsources = ["fire"]',
            ),
            "categories: 'anti-social-behaviour' is a police category, not in sources",
        ),
        (('start = "2018-07-01"', 'start = "2018-07-01"\ncolour = "red"'), "colour: unknown field"),
        (('[target]\nwards = ["E05000956"]', "[target]"), "target: needs wards, lsoas or geojson"),
        (
            (
                'start = "2018-07-01"',
                'start = "2018-07-01"\nbaseline = { start = "2018-06-01", end = "2018-07-15" }',
            ),
            "baseline: ends 2018-07-15, after the operation starts",
        ),
        (
            ("[target]", '[buffer_control]\nwards = ["E05000972"]\n[target]'),
            "buffer_control: is the buffer's control, but there is no buffer",
        ),
        (
            ('start = "2018-07-01"', 'start = "2018-07-01"\nyouth = "teen"'),
            "youth: Input should be",
        ),
        (
            ('name = "Operation Open Space 2018"', 'name = ""'),
            "name: String should have at least 1",
        ),
    ],
)
def test_errors_are_one_line_naming_the_field(change: tuple[str, str], message: str) -> None:
    old, new = change
    text = BASE.replace(old, new)
    assert text != BASE
    with pytest.raises(OperationError) as caught:
        parse_operation(text, "parks.toml")
    text_of = str(caught.value)
    assert "\n" not in text_of
    assert text_of.startswith("parks.toml: ")
    assert message in text_of, text_of


def test_not_toml() -> None:
    with pytest.raises(OperationError, match=r"parks\.toml: not TOML"):
        parse_operation("name = ", "parks.toml")
