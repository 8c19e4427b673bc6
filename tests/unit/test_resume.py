"""Where the worker resumes after a restore, and when Redis is kept (streams.resume)."""

from __future__ import annotations

from streams.resume import resume_positions

TPS = ("raw|0", "raw|1")
ENDS = {"raw|0": 100, "raw|1": 50}


def test_redis_matching_the_log_is_kept_and_the_group_resumes_where_it_was() -> None:
    """Redis at or past the committed offsets, short of the ends: keep it, resume there."""
    resume = resume_positions(TPS, {"raw|0": 90, "raw|1": 50}, {"raw|0": 95, "raw|1": 49}, ENDS)
    assert resume.keep_redis
    assert resume.positions == {"raw|0": 90, "raw|1": 50}


def test_redis_that_lost_writes_is_rebuilt() -> None:
    """Redis behind the committed offset (AOF lost its last second): not kept."""
    resume = resume_positions(TPS, {"raw|0": 90, "raw|1": 50}, {"raw|0": 80, "raw|1": 49}, ENDS)
    assert resume.mismatched == ("raw|0",)


def test_redis_that_counted_records_the_crash_lost_is_rebuilt() -> None:
    """Redis holds effects at or past the restored end: not kept; positions cut to the end."""
    resume = resume_positions(TPS, {"raw|0": 120, "raw|1": 10}, {"raw|0": 110, "raw|1": 9}, ENDS)
    assert resume.mismatched == ("raw|0",)
    assert resume.positions == {"raw|0": 100, "raw|1": 10}


def test_an_empty_redis_with_committed_offsets_is_rebuilt() -> None:
    """No high-water marks but the group had moved on: Redis lost everything."""
    resume = resume_positions(TPS, {"raw|0": 5}, {}, ENDS)
    assert resume.mismatched == ("raw|0",)


def test_a_fresh_log_and_fresh_redis_match() -> None:
    """Nothing committed, nothing stored: keep (nothing to rebuild), start at 0."""
    resume = resume_positions(TPS, {}, {}, ENDS)
    assert resume.keep_redis
    assert resume.positions == {"raw|0": 0, "raw|1": 0}


def test_after_a_crash_the_last_seconds_are_validated_again() -> None:
    """The revalidation offsets pull positions back, never forward."""
    resume = resume_positions(
        TPS, {"raw|0": 90, "raw|1": 50}, {"raw|0": 95, "raw|1": 49}, ENDS, {"raw|0": 70}
    )
    assert resume.positions == {"raw|0": 70, "raw|1": 50}
    assert resume.keep_redis
