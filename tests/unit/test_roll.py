"""Where a rolled broker's partitions start (cli.stack.roll.plan_starts)."""

from __future__ import annotations

from cli.stack.roll import plan_starts


def test_a_roll_keeps_each_partitions_tail() -> None:
    """With no group behind, each partition keeps its last ``keep`` records."""
    assert plan_starts({"a|0": 10_000, "a|1": 300}, {}, 1000, {}) == {"a|0": 9000, "a|1": 0}


def test_a_roll_never_passes_a_groups_committed_offset() -> None:
    """A group behind the tail keeps its records in the broker; other partitions roll on."""
    groups = {"worker": {"a|0": 4000}, "subscriber": {"a|0": 8500, "a|1": 50}}
    assert plan_starts({"a|0": 10_000, "a|1": 300}, groups, 1000, {}) == {"a|0": 4000, "a|1": 0}


def test_a_roll_never_moves_a_start_back() -> None:
    """Records already only in the archive stay there (a start never decreases)."""
    assert plan_starts({"a|0": 10_000}, {"g": {"a|0": 2000}}, 1000, {"a|0": 5000}) == {"a|0": 5000}
