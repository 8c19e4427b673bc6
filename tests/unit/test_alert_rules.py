"""Alert rules from SAFER_ALERT_RULES: what is accepted, and one-line errors for the rest;
the baseline a rule can use with the history there is."""

from __future__ import annotations

import json

import pytest

from alerts.rules import DEFAULT_RULES, parse_rules, with_history
from safer.errors import ConfigError

GOOD = {
    "slug": "theft-near-repeat",
    "label": "thefts from vehicles",
    "kind": "near-repeat",
    "first": ["vehicle-crime"],
    "then": ["vehicle-crime"],
    "metres": 150,
    "hours": 168,
}


def test_a_rule_is_read_with_its_defaults() -> None:
    (rule,) = parse_rules(json.dumps([GOOD]))
    assert (rule.slug, rule.metres, rule.hours, rule.recent_hours) == (
        "theft-near-repeat",
        150.0,
        168.0,
        24.0,
    )
    assert rule.window == "150m-7d"
    assert rule.then_cause is None
    assert parse_rules("[]") == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "nearby"}, "SAFER_ALERT_RULES[0].kind: one of near-repeat, cross-agency"),
        ({"metres": -5}, "SAFER_ALERT_RULES[0].metres: a positive number is required"),
        ({"hours": True}, "SAFER_ALERT_RULES[0].hours: a positive number is required"),
        ({"first": ["bicycle"]}, "SAFER_ALERT_RULES[0].first: unknown category 'bicycle'"),
        ({"then": []}, "SAFER_ALERT_RULES[0].then: a list of category slugs"),
        ({"slug": ""}, "SAFER_ALERT_RULES[0].slug: a name is required"),
    ],
)
def test_a_bad_rule_is_named_in_one_line(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as found:
        parse_rules(json.dumps([GOOD | change]))
    assert str(found.value) == message
    with pytest.raises(ConfigError, match="not JSON"):
        parse_rules("[{")
    with pytest.raises(ConfigError, match="slugs must differ"):
        parse_rules(json.dumps([GOOD, GOOD]))


def test_a_rules_baseline_follows_the_history_there_is() -> None:
    burglary = next(r for r in DEFAULT_RULES if r.slug == "burglary-near-repeat")
    assert burglary.baseline_hours == 4 * 14 * 24  # four times its 14 days
    weeks = {r.slug: r.baseline_hours for r in with_history(DEFAULT_RULES, 5 * 168)}
    assert weeks["burglary-near-repeat"] == 5 * 168 - 14 * 24 - 24  # what 5 weeks leave
    assert weeks["asb-then-deliberate-fire"] == 4 * 72
    assert "burglary-near-repeat" not in {r.slug for r in with_history(DEFAULT_RULES, 4 * 168)}
