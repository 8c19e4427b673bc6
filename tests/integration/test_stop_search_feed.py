"""Stop and search as published, through ``safer feed stop-search``, the real broker and
worker: counted in aggregates of its own, never in incident totals or the ticker, and its
month is a period of its own (importing it cancels no street-level crime of that month)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from redis import Redis

from feeds.adapters.police import month_interval
from geography.areas import load_areas
from safer.settings import Settings
from store.keys import Keys
from store.reader import StoreReader
from tests.data_files import WIRRAL, data_file, pandas_counts
from tests.integration.test_police_feed import month_window, redis_counts
from tests.integration.worker import counter_difference, running_worker, safer_cli, wait_for

STREET = data_file("2018-03-merseyside-street.csv")
SEARCHES = data_file("2018-03-merseyside-stop-and-search.csv")
MONTH = "2018-03"


def _searches(reader: StoreReader) -> Counter[str]:
    found = Counter[str]()
    for row in reader.window("ward", *month_window(MONTH), breakdown="search").rows:
        found[f"{row.area}|{row.category}"] += row.count
    return found


def _expected_searches() -> Counter[str]:
    """Independently of the adapter: each published point placed in a Wirral ward, as
    ``ward|drugs`` or ``ward|other``."""
    areas = load_areas()
    expected = Counter[str]()
    for row in csv.DictReader(SEARCHES.open(encoding="utf-8-sig")):
        lsoa = (
            areas.locate(float(row["Latitude"]), float(row["Longitude"]))
            if row["Latitude"]
            else None
        )
        if lsoa:
            drugs = row["Object of search"] == "Controlled drugs"
            expected[f"{areas.lsoa_ward[lsoa]}|{'drugs' if drugs else 'other'}"] += 1
    return expected


def test_stop_search_is_counted_apart_from_incidents(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    expected = _expected_searches()
    assert sum(expected.values()) > 50, "Wirral has dozens of searches a month"
    incidents = pandas_counts(STREET)

    for path, source in ((STREET, "police"), (SEARCHES, "stop-search")):
        fed = safer_cli(settings, "feed", source, str(path), timeout_s=300)
        assert fed.returncode == 0, fed.stderr
    again = safer_cli(settings, "feed", "stop-search", str(SEARCHES))
    assert again.returncode == 0, again.stderr
    assert "published 0 (0 new, 0 changed, 0 cancelled)" in again.stdout

    keys = Keys(settings.redis_prefix)
    reader = StoreReader(redis_client, keys, [WIRRAL])

    def searches() -> Counter[str]:
        found = Counter[str]()
        for cell, n in _searches(reader).items():
            ward, category = cell.split("|")
            found[f"{ward}|{'drugs' if category == 'search-drugs' else 'other'}"] += n
        return found

    with running_worker(settings, tmp_path) as worker:
        wait_for(
            lambda: searches() == expected,
            180,
            "the month's searches per ward",
            worker.log_path,
            lambda: counter_difference(searches(), expected),
        )
        wait_for(
            lambda: redis_counts(redis_client, keys, MONTH) == incidents,
            60,
            "the month's crimes per ward, searches not among them",
            worker.log_path,
        )
        snapshot = reader.live_snapshot(latest=200)
    assert all(not row["category"].startswith("search-") for row in snapshot.latest)
    assert not any(r.category.startswith("search-") for r in reader.counts())
    assert "cancelled|police" not in snapshot.outcomes, "the search month cancelled no crime"

    start, end = (t.isoformat() for t in month_interval(MONTH))
    window = ("--start", start, "--end", end, "--format", "json", "--level", "borough")
    searched = safer_cli(settings, "query", "counts", "--of", "stop-searches", *window)
    assert searched.returncode == 0, searched.stderr
    rows = json.loads(searched.stdout)
    assert {r["category"][:7] for r in rows} == {"search-"}
    assert sum(r["count"] for r in rows) == sum(expected.values())
    crimes = json.loads(safer_cli(settings, "query", "counts", *window).stdout)
    assert sum(r["count"] for r in crimes) == sum(incidents.values())
