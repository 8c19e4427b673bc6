"""The data.police.uk stop and search adapter, and stop and search kept out of incident
aggregates (pure)."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregates.config import AggregationConfig
from aggregates.contributions import contribution
from aggregates.inputs import canonical_doc, from_canonical
from feeds.adapters.police import read_street_csv
from feeds.adapters.police import to_event as crime_event
from feeds.adapters.rows import Row, RowError
from feeds.adapters.stop_search import COLUMNS, read_stop_search_csv, to_event
from geography.areas import load_areas
from schemas.categories import ACTIVITY_CATEGORIES, AgeBand, Gender, SearchType
from tests.data_files import data_file

MONTH = data_file("2018-03-merseyside-stop-and-search.csv")
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
HEADER = ",".join(COLUMNS)
SEARCH = (
    "Person search,2018-03-01T01:47:46+00:00,,,53.39,-3.016,Male,Oct-17,"
    "White - English/Welsh/Scottish/Northern Irish/British,White,"
    "Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,True,False"
)
VEHICLE = "Vehicle search,2018-03-02T10:00:00+00:00,,,,,,,,,,Stolen goods,,,"


def _rows(
    tmp_path: Path, lines: list[str], name: str = "2018-03-merseyside-stop-and-search.csv"
) -> list[Row | RowError]:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return list(read_stop_search_csv(path))


def test_every_published_row_becomes_a_search_with_a_stable_unique_key(tmp_path: Path) -> None:
    """All 1,035 rows of March 2018 are read; keys are unique (identical rows included)
    and do not depend on row order."""
    rows = list(read_stop_search_csv(MONTH))
    assert all(isinstance(r, Row) for r in rows)
    keys = [r.record_key for r in rows if isinstance(r, Row)]
    assert len(keys) == len(set(keys)) == sum(1 for _ in MONTH.open()) - 1
    lines = MONTH.read_text(encoding="utf-8").splitlines()
    body = lines[1:]
    random.Random(3).shuffle(body)
    shuffled = tmp_path / MONTH.name
    shuffled.write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    again = [r.record_key for r in read_stop_search_csv(shuffled) if isinstance(r, Row)]
    assert set(again) == set(keys)
    events = [to_event(r, 1, NOW) for r in rows if isinstance(r, Row)]
    drugs = sum(
        1 for r in csv.DictReader(MONTH.open()) if r["Object of search"] == "Controlled drugs"
    )
    assert sum(1 for e in events if e.data.category.value == "search-drugs") == drugs > 500


def test_a_search_carries_what_is_aggregate_safe_and_no_ethnicity(tmp_path: Path) -> None:
    (row, vehicle) = _rows(tmp_path, [SEARCH, VEHICLE])
    assert isinstance(row, Row)
    assert isinstance(vehicle, Row)
    assert row.record_key.startswith("police:merseyside:search:")
    assert row.scope == "merseyside/stop-search/2018-03"  # never the street crimes' period
    event = to_event(row, 1, NOW)
    data = event.data
    assert data.category.value == "search-drugs"
    assert data.search_type is SearchType.PERSON
    assert data.people.subject_age_band is AgeBand.AGE_10_17  # "Oct-17" read as meant
    assert data.people.youth is True
    assert data.people.subject_gender is Gender.MALE
    assert (data.legislation, data.outcome) == ("misuse-of-drugs-act-1971-section-23", "arrest")
    assert (data.outcome_linked, data.clothing_removed, data.operation) == (True, False, False)
    assert data.occurred.start == datetime(2018, 3, 1, 1, 47, 46, tzinfo=UTC)
    assert "White" not in event.model_dump_json()
    car = to_event(vehicle, 1, NOW).data
    assert (car.category.value, car.people.youth, car.location.lat) == (
        "search-stolen-goods",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Person search,yesterday,,,,,,,,,,,,,", "Date 'yesterday' is not an ISO timestamp"),
        ("Frisk,2018-03-01T01:00:00+00:00,,,,,,,,,,,,,", "unknown search type 'Frisk'"),
        ("Person search,2018-03-01T01:00:00+00:00", "expected 15 columns, found 2"),
        ("Person search,2018-03-01T01:00:00+00:00,,,,,,ancient,,,,,,,", "unknown age range"),
    ],
)
def test_a_bad_row_is_an_error_naming_its_line(tmp_path: Path, line: str, reason: str) -> None:
    (good, bad) = _rows(tmp_path, [SEARCH, line])
    assert isinstance(good, Row)
    assert isinstance(bad, RowError)
    assert bad.line == 3
    assert reason in bad.reason
    assert bad.raw == line.encode()


def test_a_file_not_named_for_a_force_is_refused(tmp_path: Path) -> None:
    (error,) = _rows(tmp_path, [SEARCH], name="searches.csv")
    assert isinstance(error, RowError)
    assert "YYYY-MM-{force}-stop-and-search.csv" in error.reason


def test_a_search_counts_only_in_stop_and_search_aggregates(tmp_path: Path) -> None:
    """Its contribution touches ``search`` keys only: no incident total (``cat`` or any
    dimension), no hot-spot profile; a street crime's touches no ``search`` key."""
    (row,) = _rows(tmp_path, [SEARCH])
    assert isinstance(row, Row)
    areas, config = load_areas(), AggregationConfig()
    search = from_canonical(canonical_doc(to_event(row, 1, NOW)), areas)
    assert search.category in ACTIVITY_CATEGORIES
    assert dict(search.areas)["borough"] == "E08000015"
    keys = {key for key, _ in contribution(search, config)}
    assert keys
    assert all(key.breakdown in ("search", "search.youth") for key in keys), keys
    assert any(key[3:] == ("ward", "search.youth", "E08000015") for key in keys)
    crime_row = next(
        r
        for r in read_street_csv(data_file("2018-03-merseyside-street.csv"))
        if isinstance(r, Row) and r.fields[7] in areas.lsoa_ward  # a Wirral crime
    )

    crime = from_canonical(canonical_doc(crime_event(crime_row, 1, NOW)), areas)
    crime_keys = {key for key, _ in contribution(crime, config)}
    assert any(key[3:] == ("ward", "cat", "E08000015") for key in crime_keys)
    assert not any("search" in key.breakdown for key in crime_keys)
