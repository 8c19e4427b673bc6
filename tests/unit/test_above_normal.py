"""Wards above their normal level per role (``dashboard.above_normal``)."""

from __future__ import annotations

from dashboard import above_normal
from dashboard.disclosure import Role

WARDS = {"E05000954": "Bebington", "E05000956": "Birkenhead and Tranmere"}
ALL = ("police", "council", "fire")
BEB, BIRK = "E05000954", "E05000956"


def test_above_normal_compares_with_past_weeks_per_role() -> None:
    from store.reader import Baseline

    baselines = {
        (BIRK, "burglary"): Baseline.of([2, 3, 2, 3, 2, 3, 2, 3]),
        (BEB, "burglary"): Baseline.of([9, 10, 11, 10, 9, 10, 11, 10]),
        (BEB, "asb-nuisance"): Baseline.of([0] * 8),
    }
    now = {(BIRK, "burglary"): 12, (BEB, "burglary"): 10, (BEB, "asb-nuisance"): 1}
    exact = above_normal.above_normal(now, baselines, ALL, WARDS, Role.ANALYST)
    # Birkenhead: 12 against 2.5 (spread 0.5, floored at sqrt(2.5)): far above normal;
    # Bebington: 11 against 10 is within its usual spread
    assert exact.to_dict("records") == [
        {
            "Ward": "Birkenhead and Tranmere (E05000956)",
            "This window": "12",
            "Usual (mean of past weeks)": "2.5",
            "Verdict": "far above normal",
        }
    ]
    shared = above_normal.above_normal(now, baselines, ALL, WARDS, Role.PUBLIC)
    # past weeks of 2 or 3 are each suppressed (no number): the usual level counts as 0
    assert shared.to_dict("records")[0]["This window"] == "10"
    assert "2.5" not in shared.to_csv()
    assert above_normal.above_normal(now, baselines, ["fire"], WARDS, Role.ANALYST).empty
