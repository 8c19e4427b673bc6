"""A restart of `safer up` on the embedded broker loses nothing: after Ctrl-C (SIGINT) and
after SIGKILL of every process of the stack, the log comes back from its archive and
`safer query` prints the same figures for a real police month plus simulated traffic."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

from bus.archive.catalog import Catalog
from tests.data_files import data_file, pandas_counts
from tests.stack import LiveStack

MONTH = "2018-03-merseyside-street.csv"
SIMULATED = 300
QUERIES = (
    ["--level", "ward", "--start", "2018-03-01", "--end", "2018-04-01"],
    ["--level", "ward", "--window", "7d", "--by", "source"],
    ["--level", "borough", "--window", "28d", "--compare-year"],
)


def _figures(stack: LiveStack) -> list[object]:
    out = []
    for query in QUERIES:
        done = stack.cli("query", "counts", *query, "--format", "json")
        assert done.returncode == 0, done.stderr
        out.append(json.loads(done.stdout))
    return out


def _settled(stack: LiveStack, police_rows: int) -> list[object]:
    """Figures once every published message is counted (two equal reads in a row)."""
    stack.wait_until(
        lambda: (
            stack.snapshot().total_by("source").get("police", 0) >= police_rows
            and sum(stack.snapshot().total_by("source").values()) > police_rows
        ),
        120,
        "the police month and the simulated traffic counted",
    )
    previous: list[object] = []
    for _ in range(60):
        current = _figures(stack)
        if current == previous:
            return current
        previous = current
        stack.wait_until(lambda: True, 1, "a second")
    raise AssertionError("figures never settled")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_restart_keeps_every_figure(tmp_path: Path, namespace: str, stop: signal.Signals) -> None:
    """Same `safer query` figures, same archive identity and a re-import publishes nothing,
    after a clean stop and after SIGKILL of the whole process group."""
    month = data_file(MONTH)
    police_rows = sum(pandas_counts(month).values())
    folder = tmp_path / "police"
    folder.mkdir()
    shutil.copy(month, folder / month.name)
    args = ["--no-simulator", "--no-dashboard"]
    first = LiveStack(tmp_path / "state", namespace, args)
    first.start()
    try:
        fed = first.cli("feed", "police", str(folder))
        assert fed.returncode == 0, fed.stdout + fed.stderr
        simulated = first.cli("simulate", "--count", str(SIMULATED), "--seed", "11")
        assert simulated.returncode == 0, simulated.stderr
        before = _settled(first, police_rows)
        if stop == signal.SIGKILL:
            first.kill_all()
        else:
            assert first.stop(signal.SIGINT) == 0
    finally:
        first.kill_all()
    catalog = Catalog(first.settings.archive_dir)
    assert (catalog.clean_ends() is not None) == (stop == signal.SIGINT)
    identity = catalog.identity()

    second = LiveStack(tmp_path / "state", namespace, args)
    second.start()
    try:
        after = _settled(second, police_rows)
        assert after == before
        refed = second.cli("feed", "police", str(folder))
        assert refed.returncode == 0, refed.stdout + refed.stderr
        assert "published 0 (" in refed.stdout, refed.stdout
        assert _figures(second) == before
        assert second.stop(signal.SIGINT) == 0
    finally:
        second.kill_all()
    assert Catalog(second.settings.archive_dir).identity() == identity
