"""Wards above their normal level per role (``dashboard.above_normal``), and "not enough
history" while the feeds have covered fewer weeks than a verdict needs."""

from __future__ import annotations

from aggregates.disclosure import Role
from dashboard import above_normal
from store.reader import Baseline, Baselines

WARDS = {"E05000954": "Bebington", "E05000956": "Birkenhead and Tranmere"}
ALL = ("police", "council", "fire")
BEB, BIRK = "E05000954", "E05000956"
COVERED = {"police": (5,) * 9, "council": (3,) * 9, "fire": (0,) * 9}
"""Police and council had events in the current week and each of 8 past ones; no fire."""


def baselines(activity: dict[str, tuple[int, ...]] = COVERED) -> Baselines:
    return Baselines(
        {
            (BIRK, "burglary"): Baseline.of([2, 3, 2, 3, 2, 3, 2, 3]),
            (BEB, "burglary"): Baseline.of([9, 10, 11, 10, 9, 10, 11, 10]),
            (BEB, "asb-nuisance"): Baseline.of([0] * 8),
        },
        activity,
    )


NOW = {(BIRK, "burglary"): 12, (BEB, "burglary"): 10, (BEB, "asb-nuisance"): 1}


def test_above_normal_compares_with_past_weeks_per_role() -> None:
    """With 8 covered weeks a ward far above its usual gets a verdict; partner and public
    verdicts come from disclosed figures only."""
    exact = above_normal.above_normal(NOW, baselines(), ALL, WARDS, Role.ANALYST, 8)
    assert exact.history.enough
    # Birkenhead: 12 against 2.5 (spread 0.5, floored at sqrt(2.5)): far above normal;
    # Bebington: 11 against 10 is within its usual spread
    assert exact.table.to_dict("records") == [
        {
            "Ward": "Birkenhead and Tranmere (E05000956)",
            "This window": "12",
            "Usual (mean of past weeks)": "2.5",
            "Verdict": "far above normal",
        }
    ]
    shared = above_normal.above_normal(NOW, baselines(), ALL, WARDS, Role.PUBLIC, 8).table
    # past weeks of 2 or 3 are each suppressed (no number): the usual level counts as 0
    assert shared.to_dict("records")[0]["This window"] == "10"
    assert "2.5" not in shared.to_csv()
    assert above_normal.above_normal(NOW, baselines(), ["fire"], WARDS, Role.ANALYST, 8).table.empty


def test_weeks_the_feeds_did_not_cover_give_no_verdict() -> None:
    """Council's feed began two weeks ago: of the 8 weeks only 2 are history, so every ward
    says "not enough history: 2 of 8 weeks" in place of a verdict, its usual level the mean
    of those 2 weeks; police alone, all 8 are history."""
    late_council = COVERED | {"council": (3, 4, 2, 0, 0, 0, 0, 0, 0)}
    found = above_normal.above_normal(NOW, baselines(late_council), ALL, WARDS, Role.ANALYST, 8)
    assert (found.history.covered, found.history.needed) == (2, 8)
    rows = found.table.to_dict("records")
    assert {r["Verdict"] for r in rows} == {"not enough history: 2 of 8 weeks"}
    assert rows[0]["Ward"] == "Birkenhead and Tranmere (E05000956)"
    assert rows[0]["Usual (mean of past weeks)"] == "2.5"  # weeks 1 and 2: 2 and 3
    police = above_normal.above_normal(
        NOW, baselines(late_council), ["police"], WARDS, Role.ANALYST, 8
    )
    assert police.history.enough
    assert set(police.table["Verdict"]) == {"far above normal"}
    fewer = above_normal.above_normal(NOW, baselines(late_council), ALL, WARDS, Role.ANALYST, 2)
    assert set(fewer.table["Verdict"]) == {"far above normal"}  # SAFER_HISTORY_WEEKS=2


def test_a_new_system_has_no_history_and_no_usual_level() -> None:
    """Nothing before the current week: no week is history, the usual level is unknown
    ("—", never "0.0") and no ward is called far above normal."""
    new = {"police": (5, 0, 0, 0, 0, 0, 0, 0, 0), "council": (0,) * 9, "fire": (0,) * 9}
    empty = Baselines({}, new)
    found = above_normal.above_normal(NOW, empty, ALL, WARDS, Role.PARTNER, 8)
    assert found.history.covered == 0
    rows = {r["Ward"]: r for r in found.table.to_dict("records")}
    assert rows["Birkenhead and Tranmere (E05000956)"] == {
        "Ward": "Birkenhead and Tranmere (E05000956)",
        "This window": "10",
        "Usual (mean of past weeks)": "—",
        "Verdict": "not enough history: 0 of 8 weeks",
    }
    assert "far above normal" not in found.table.to_csv()
