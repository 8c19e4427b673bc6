"""Rolling the embedded broker under traffic (cli.stack.roll) loses and double-counts
nothing: with a tiny memory limit the stack rolls its broker again and again while the
simulator runs and a real police month is imported; afterwards the month is counted
exactly, Redis equals a rebuild from the log (the archive's prefix plus the rolled broker's
tail) and a subscriber reading from the beginning gets every canonical record."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

from bus.archive.catalog import Catalog, parse_tp
from schemas.topics import Topics
from tests.data_files import data_file, pandas_counts
from tests.stack import LiveStack

MONTH = "2018-03-merseyside-street.csv"
MARCH = ["--level", "ward", "--start", "2018-03-01", "--end", "2018-04-01", "--format", "json"]
LIVE = ["--level", "ward", "--window", "7d", "--by", "source", "--format", "json"]


def _rolls(stack: LiveStack) -> int:
    return stack.output.read_text(errors="replace").count("rolled in")


def _query(stack: LiveStack, args: list[str]) -> list[dict[str, object]]:
    done = stack.cli("query", "counts", *args)
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_broker_rolls_under_traffic_lose_and_double_count_nothing(
    tmp_path: Path, namespace: str
) -> None:
    """Several rolls during simulated traffic and a police import: exact March counts,
    Redis == rebuild, `safer tail` sees every canonical record once."""
    month = data_file(MONTH)
    police_rows = sum(pandas_counts(month).values())
    folder = tmp_path / "police"
    folder.mkdir()
    shutil.copy(month, folder / month.name)
    tiny = {"broker_roll_mb": 1.0, "broker_keep_records": 50}
    stack = LiveStack(
        tmp_path / "state",
        namespace,
        ["--rate", "20", "--history", "0", "--no-dashboard"],
        overrides=tiny,
    )
    stack.start()
    try:
        stack.wait_until(lambda: _rolls(stack) >= 1, 120, "a first broker roll")
        for _attempt in range(5):  # a roll may cut an import short: the ledger resumes it
            if stack.cli("feed", "police", str(folder)).returncode == 0:
                break
        else:
            raise AssertionError("the police import never finished")
        rolled = _rolls(stack)
        stack.wait_until(lambda: _rolls(stack) > rolled, 120, "a roll after the import")
        assert stack.stop(signal.SIGINT) == 0
    finally:
        stack.kill_all()
    catalog = Catalog(stack.settings.archive_dir)
    starts = catalog.broker_starts()
    canonical = Topics(f"{namespace}.").incidents.name
    assert any(s > 0 for tp, s in starts.items() if parse_tp(tp)[0] == canonical), starts

    quiet = LiveStack(tmp_path / "state", namespace, ["--no-simulator", "--no-dashboard"])
    quiet.start()
    try:
        march, live = _query(quiet, MARCH), _query(quiet, LIVE)
        assert sum(int(r["count"]) for r in march) == police_rows
        rebuilt = quiet.cli("rebuild")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert _query(quiet, MARCH) == march
        assert _query(quiet, LIVE) == live
        tailed = quiet.cli("tail", "incidents", "--timeout", "5")
        assert tailed.returncode == 0, tailed.stderr
        lines = [json.loads(line) for line in tailed.stdout.splitlines()]
        ends = catalog.positions()
        assert len(lines) == sum(end for tp, end in ends.items() if parse_tp(tp)[0] == canonical)
        assert quiet.stop(signal.SIGINT) == 0
    finally:
        quiet.kill_all()
