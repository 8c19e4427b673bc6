"""The registry keeps every version; the snapshot's digest changes with any edit; the form's
choices become a file the spec reads back; a partner's evaluation hides what would give a
small count away."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from aggregates.disclosure import Role
from dashboard.operation_figures import FormChoice, choice_of, disclosed, toml_of
from geography.areas import load_areas
from operations.registry import EMPTY_DIGEST, Registry, Snapshot
from operations.spec import OperationError, parse_operation
from operations.zones import resolve

AREAS = load_areas()
TOML = """
name = "Operation Open Space 2018"
categories = ["anti-social-behaviour"]
start = "2018-07-01"
end = "2018-08-01"
[target]
wards = ["E05000956"]
"""


def test_versions_are_kept_and_the_digest_follows_edits(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    assert registry.snapshot().digest == EMPTY_DIGEST
    first = registry.save(TOML, AREAS, by="ana")
    assert (first.slug, first.version, first.by) == ("open-space-2018", 1, "ana")
    digest = registry.snapshot().digest
    assert registry.save(TOML, AREAS).version == 1  # the same file again saves nothing
    assert registry.snapshot().digest == digest
    second = registry.save(TOML.replace("E05000956", "E05000957"), AREAS, note="moved")
    assert second.version == 2
    assert [v.version for v in registry.versions("open-space-2018")] == [1, 2]
    assert registry.snapshot().digest != digest
    assert registry.latest("open-space-2018") == second
    encoded = registry.snapshot().encode()
    assert Snapshot.decode(encoded).digest == registry.snapshot().digest
    ops = Snapshot.decode(encoded).operations(AREAS)
    assert ops.get("open-space-2018") is not None
    with pytest.raises(OperationError, match="exists already"):
        registry.save(TOML, AREAS, expect_new=True)


def test_a_withdrawn_operation_is_counted_no_more_until_saved_again(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    registry.save(TOML, AREAS)
    registry.save(TOML.replace("Space 2018", "Space 2019").replace("2018-", "2019-"), AREAS)
    both = registry.snapshot().digest
    gone = registry.withdraw("open-space-2018", by="ana", note="entered twice")
    assert (gone.version, gone.withdrawn, gone.note) == (2, True, "entered twice")
    assert [v.slug for v in registry.snapshot().versions] == ["open-space-2019"]
    assert registry.snapshot().digest != both
    assert [v.withdrawn for v in registry.versions("open-space-2018")] == [False, True]
    with pytest.raises(OperationError, match="withdrawn already"):
        registry.withdraw("open-space-2018")
    with pytest.raises(OperationError, match="no operation 'nope'"):
        registry.withdraw("nope")
    restored = registry.save(TOML, AREAS)  # the same file as before, saved again
    assert (restored.version, restored.withdrawn) == (3, False)
    assert {v.slug for v in registry.snapshot().versions} == {"open-space-2018", "open-space-2019"}


def test_a_bad_file_saves_nothing(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    with pytest.raises(OperationError, match=r"^op\.toml: target\.wards: unknown ward"):
        registry.save(TOML.replace("E05000956", "E05999999"), AREAS, origin="op.toml")
    with pytest.raises(OperationError, match=r"geojson file park\.geojson was not given"):
        registry.save(TOML.replace('wards = ["E05000956"]', 'geojson = "park.geojson"'), AREAS)
    assert registry.slugs() == []


def test_the_forms_choices_make_a_file_that_reads_back() -> None:
    choice = FormChoice(
        name='Bonfire "night"',
        categories=["asb-nuisance", "secondary-fire"],
        start=date(2026, 10, 25),
        end=date(2026, 11, 8),
        baseline="same-period-last-year",
        youth="youth",
        target_wards=["E05000956"],
        buffer_metres=300,
        control_wards=["E05000962"],  # Heswall, away from the ring
    )
    spec = parse_operation(toml_of(choice))
    assert spec.name == 'Bonfire "night"'
    assert spec.slug == "bonfire-night"
    assert spec.baseline_period.start == date(2025, 10, 26)
    assert spec.buffer is not None
    assert spec.buffer.metres == 300
    again = choice_of(resolve(spec, AREAS, {}), {})
    assert parse_operation(toml_of(again)) == spec


def _result(target: tuple[int, int]) -> dict[str, object]:
    return {
        "counts": {
            "target": {"baseline": target[0], "operation": target[1]},
            "control": {"baseline": 400, "operation": 380},
        },
        "rate_ratio": {"target": {"estimate": 0.5}, "control": {"estimate": 0.95}},
        "in_words": {"target": "a fall of 50%", "control": "a fall of 5%"},
        "wdd": {"estimate": -12.3, "variance": 820.0, "z": -0.43, "p": 0.67},
        "wdq": None,
        "wdq_reason": "no buffer zone",
        "net_effect": 11.0,
        "unplaced": {},
        "daily": {"operation": []},
        "by_category": {},
        "caveats": [],
    }


def test_partners_see_disclosed_counts_and_no_statistics_that_give_them_away() -> None:
    small = disclosed(_result((8, 3)), Role.PARTNER)
    assert small["counts"]["target"]["operation"] == {"value": None, "text": "fewer than 5"}
    assert small["counts"]["target"]["baseline"]["value"] == 10  # rounded to 5
    assert "target" not in small["rate_ratio"]
    assert small["in_words"]["target"].startswith("hidden")
    assert small["wdd"] is None
    assert small["wdd_reason"].startswith("hidden")  # the page says why, not "no statistics"
    assert small["net_effect"] is None
    assert "daily" not in small
    large = disclosed(_result((58, 31)), Role.PARTNER)
    assert large["wdd"] == {"estimate": -12, "z": -0.43, "p": 0.67}  # no variance
    assert large["counts"]["target"]["operation"]["value"] == 30
    exact = disclosed(_result((8, 3)), Role.ANALYST)
    assert exact["counts"]["target"]["operation"]["value"] == 3
    assert exact["wdd"]["variance"] == 820.0
