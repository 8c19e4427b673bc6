"""An operation over real police data, end to end on the live stack: June 2018 imported,
the operation added (back-filled from the canonical topic), July 2018 imported (counted
live), then ``safer operations evaluate --format json``: its counts equal an independent
count of the CSVs by the LSOA's ward and the sums of ``safer query`` over its wards, its
WDD equals the one worked by hand from those counts, a rebuild changes nothing, and a
withdrawn operation is counted no more until saved again."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from geography.areas import load_areas
from tests.data_files import data_file, pandas_counts
from tests.stack import LiveStack

BASELINE, OPERATION = "2018-06-merseyside-street.csv", "2018-07-merseyside-street.csv"
TARGET = ("E05000956", "E05000962")  # Birkenhead and Tranmere; Heswall
BUFFER = ("E05000957",)  # Bromborough
ASB = "anti-social-behaviour"
AT = "2026-12-02T00:00:00Z"
TOML = f"""
name = "Operation Open Space 2018"
categories = ["{ASB}"]
sources = ["police"]
start = "2018-07-01"
end = "2018-08-01"
baseline = {{ start = "2018-06-01", end = "2018-07-01" }}
[target]
wards = {json.dumps(list(TARGET))}
[buffer]
wards = {json.dumps(list(BUFFER))}
"""


def _feed(stack: LiveStack, tmp_path: Path, name: str) -> int:
    month = data_file(name)
    folder = tmp_path / name.removesuffix(".csv")
    folder.mkdir()
    shutil.copy(month, folder / month.name)
    done = stack.cli("feed", "police", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    return sum(pandas_counts(month).values())


def _expected(name: str) -> dict[str, int]:
    """Independently, from the CSV: ASB per zone by the LSOA's ward (ONS lookup)."""
    counts = pandas_counts(data_file(name))
    wards = set(load_areas().ward_names)
    out = {"target": 0, "buffer": 0, "control": 0}
    for (ward, category), n in counts.items():
        if category != ASB or ward not in wards:
            continue
        zone = "target" if ward in TARGET else "buffer" if ward in BUFFER else "control"
        out[zone] += n
    return out


def _evaluate(stack: LiveStack) -> dict[str, Any]:
    done = stack.cli("operations", "evaluate", "open-space-2018", "--format", "json", "--at", AT)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _query_sum(stack: LiveStack, start: str, end: str, wards: tuple[str, ...]) -> int:
    done = stack.cli(
        "query", "counts", "--level", "ward", "--start", start, "--end", end, "--category", ASB
    )
    assert done.returncode == 0, done.stderr
    return sum(row["count"] for row in json.loads(done.stdout) if row["area"] in wards)


def test_operation_over_real_police_months(tmp_path: Path, namespace: str) -> None:
    stack = LiveStack(tmp_path / "state", namespace, ["--no-simulator", "--no-dashboard"])
    stack.start()
    try:
        june = _feed(stack, tmp_path, BASELINE)
        stack.wait_until(
            lambda: stack.snapshot().total_by("source").get("police", 0) >= june,
            180,
            "the June month counted",
        )
        operation = tmp_path / "open-space.toml"
        operation.write_text(TOML)
        added = stack.cli("operations", "add", str(operation), "--by", "analyst")
        assert added.returncode == 0, added.stdout + added.stderr
        assert "saved open-space-2018 version 1" in added.stdout
        assert "counted in the live aggregates" in added.stdout

        july = _feed(stack, tmp_path, OPERATION)  # counted live, no back-fill
        stack.wait_until(
            lambda: stack.snapshot().total_by("source").get("police", 0) >= june + july,
            180,
            "the July month counted",
        )
        result = _evaluate(stack)
        before, during = _expected(BASELINE), _expected(OPERATION)
        assert result["counts"] == {
            zone: {"baseline": before[zone], "operation": during[zone]} for zone in before
        }
        assert result["counts"]["target"]["baseline"] == _query_sum(
            stack, "2018-06-01", "2018-07-01", TARGET
        )
        assert result["counts"]["target"]["operation"] == _query_sum(
            stack, "2018-07-01", "2018-08-01", TARGET
        )
        # the WDD by hand: July has 31 days and June 30, so June's counts are scaled
        t0, t1 = before["target"], during["target"]
        c0, c1 = before["control"], during["control"]
        b0, b1 = before["buffer"], during["buffer"]
        scale = (31 * 24) / (30 * 24)
        assert result["scale"] == round(scale, 6)
        scaled = (t1 - scale * t0) - (c1 - scale * c0) + (b1 - scale * b0)
        assert result["wdd"]["estimate"] == round(scaled, 4)
        assert result["wdd"]["variance"] == round(t1 + c1 + b1 + scale * scale * (t0 + c0 + b0), 4)
        z = scaled / math.sqrt(t1 + c1 + b1 + scale * scale * (t0 + c0 + b0))
        assert result["wdd"]["z"] == round(z, 4)
        for field in (
            "operation",
            "version",
            "period",
            "baseline_period",
            "final",
            "counts",
            "rate_ratio",
            "wdd",
            "wdq",
            "net_effect",
            "maryland_level",
            "unplaced",
            "caveats",
        ):
            assert field in result, field
        assert result["final"] is True
        assert result["maryland_level"] == 3
        assert result["period"] == {"start": "2018-06-30T23:00:00Z", "end": "2018-07-31T23:00:00Z"}
        assert set(result["rate_ratio"]) == {"target", "buffer", "control"}
        assert any("scaled by 1.033" in c for c in result["caveats"])

        rebuilt = stack.cli("rebuild")
        assert rebuilt.returncode == 0, rebuilt.stderr
        again = _evaluate(stack)
        assert again["counts"] == result["counts"]
        assert again["wdd"] == result["wdd"]

        # withdrawn: counted no more (the live generation drops it), history kept;
        # saving the file again restores it with the same figures
        gone = stack.cli("operations", "withdraw", "open-space-2018", "--note", "test")
        assert gone.returncode == 0, gone.stdout + gone.stderr
        listed = stack.cli("operations", "list")
        row = next(line for line in listed.stdout.splitlines() if "open-space-2018" in line)
        assert "withdrawn" in row, listed.stdout
        assert "│ no" in row, listed.stdout
        refused = stack.cli("operations", "evaluate", "open-space-2018", "--at", AT)
        assert refused.returncode != 0
        assert "was withdrawn on" in refused.stderr
        assert "Traceback" not in refused.stderr
        restored = stack.cli("operations", "add", str(operation))
        assert "saved open-space-2018 version 3" in restored.stdout, restored.stderr
        assert _evaluate(stack)["counts"] == result["counts"]
    finally:
        stack.kill_all()
