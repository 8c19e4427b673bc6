"""The police.uk API's ``crimes-street`` JSON read by the police adapter (pure): the same
crimes as the street-level CSV under the same keys, periods and events."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feeds.adapters.police import COLUMNS, CRIME_TYPES, read_street_csv, to_event
from feeds.adapters.police_api import read_street_json
from feeds.adapters.registry import POLICE_STREET
from feeds.adapters.rows import Row, RowError
from feeds.publish.importer import input_files
from feeds.publish.ledger import Issue, Ledger
from tests.data_files import data_file

SAMPLE = (
    Path(__file__).resolve().parents[2] / "feeds" / "samples" / "2018-03-merseyside-street.json"
)
NAME = SAMPLE.name  # data.police.uk's naming: the force is merseyside
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
CRIME: dict[str, Any] = {
    "category": "burglary",
    "location_type": "Force",
    "location": {
        "latitude": "53.390000",
        "street": {"id": 1147296, "name": "On or near Conway Street"},
        "longitude": "-3.016000",
    },
    "context": "",
    "outcome_status": {"category": "Under investigation", "date": "2018-04"},
    "persistent_id": "1067c80fffa39733352f4fe69a4be12ae01c672aed54b090bb88b8c5c231c314",
    "id": 62370001,
    "location_subtype": "",
    "month": "2018-03",
}
ASB = CRIME | {
    "category": "anti-social-behaviour",
    "outcome_status": None,
    "persistent_id": "",
    "id": 62370002,
}
OTHER_ASB = ASB | {"location": ASB["location"] | {"latitude": "53.380000"}, "id": 62370003}


def _write(folder: Path, records: object, name: str = NAME) -> Path:
    path = folder / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _read(folder: Path, records: object, name: str = NAME) -> list[Row | RowError]:
    return list(read_street_json(_write(folder, records, name)))


def _sample() -> list[dict[str, Any]]:
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert isinstance(records, list)
    return records


def csv_twin(folder: Path) -> Path:
    """The rows of the real March 2018 CSV the sample was derived from, as a CSV."""
    wanted = Counter(
        (r["persistent_id"], r["location"]["latitude"], r["location"]["longitude"], r["category"])
        for r in _sample()
    )
    with data_file("2018-03-merseyside-street.csv").open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))
    twin = [
        line
        for line in lines[1:]
        if (line[0], line[5], line[4], CRIME_TYPES[line[9]].value) in wanted
    ]
    path = folder / "2018-03-merseyside-street.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, lineterminator="\n").writerows([lines[0], *twin])
    return path


def _key(row: Row | RowError) -> str:
    assert isinstance(row, Row), str(row)
    return row.record_key


def test_every_sample_record_is_the_csv_rows_record(tmp_path: Path) -> None:
    """Each crime of the sample has its CSV row's key, period and event (less the LSOA code,
    which the API does not give); every record of the sample is adapted."""
    records = _sample()
    rows = list(read_street_json(SAMPLE))
    assert len(rows) == len(records) > 300
    assert not [r for r in rows if isinstance(r, RowError)]
    twin = [r for r in read_street_csv(csv_twin(tmp_path)) if isinstance(r, Row)]
    assert len(twin) == len(rows), "the sample is exactly these CSV rows"
    assert all("E01007110" <= r.fields[7] <= "E01007405" for r in twin), "Wirral LSOAs only"
    by_id = {r.fields[0]: r for r in twin if r.fields[0]}
    crimes = 0
    for record, row in zip(records, rows, strict=True):
        assert isinstance(row, Row)
        crime_id = record["persistent_id"]
        if not crime_id:
            assert row.record_key.startswith("police:merseyside:asb:")
            continue
        crimes += 1
        same = by_id[crime_id]
        assert row.record_key == same.record_key == f"police:merseyside:{crime_id}"
        assert row.scope == same.scope == "merseyside/2018-03"
        from_json, from_csv = to_event(row, 1, NOW), to_event(same, 1, NOW)
        assert from_json.data.location.lsoa_code is None
        assert from_csv.data.location.lsoa_code == same.fields[7]
        expected = from_csv.model_dump()
        expected["data"]["location"]["lsoa_code"] = None
        assert from_json.model_dump() == expected
    assert crimes == len(by_id) > 300
    outcomes = {to_event(r, 1, NOW).data.outcome for r in rows if isinstance(r, Row)}
    assert "investigation-complete-no-suspect-identified" in outcomes


def test_a_month_reissued_in_the_other_format_counts_no_crime_twice(tmp_path: Path) -> None:
    """CSV then API JSON of the same month (one period): crimes are corrected, not added;
    ASB (keyed on content, which differs) is replaced one for one."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    twin = [r for r in read_street_csv(csv_twin(tmp_path)) if isinstance(r, Row)]
    (scope,) = {r.scope for r in twin}
    first = ledger.plan(
        "police", scope, [Issue(r.record_key, r.content_hash, r.fields) for r in twin]
    )
    ledger.record("police", scope, first)
    rows = [r for r in read_street_json(SAMPLE) if isinstance(r, Row)]
    assert {r.scope for r in rows} == {scope}
    second = ledger.plan(
        "police", scope, [Issue(r.record_key, r.content_hash, r.fields) for r in rows]
    )
    kinds = Counter((c.kind, ":asb:" in c.record_key) for c in second)
    asb = sum(1 for r in rows if ":asb:" in r.record_key)
    assert kinds == {
        ("changed", False): len(rows) - asb,  # the LSOA code is gone: a correction
        ("new", True): asb,
        ("cancelled", True): asb,
    }
    ledger.close()


def test_asb_keys_are_stable_under_reordering_and_distinct_when_identical(
    tmp_path: Path,
) -> None:
    records = _sample()
    keys = [_key(r) for r in _read(tmp_path, records)]
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    assert shuffled != records
    assert set(keys) == {_key(r) for r in _read(tmp_path, shuffled)}
    assert len(set(keys)) == len(keys)

    three = [_key(r) for r in _read(tmp_path, [ASB, OTHER_ASB, ASB, CRIME, ASB])]
    assert len(set(three)) == 5
    digest = three[0].split(":")[3]
    identical = sorted(k for k in three if f":asb:{digest}:" in k)
    assert [k.rsplit(":", 1)[1] for k in identical] == ["1", "2", "3"]
    assert three[1].split(":")[3] != digest, "another point is another record"


def test_bad_records_are_row_errors_with_their_index(tmp_path: Path) -> None:
    no_street = CRIME | {"location": {"latitude": "53.39", "longitude": "-3.01"}}
    bad = [
        CRIME,
        5,
        {k: v for k, v in CRIME.items() if k != "category"},
        CRIME | {"month": "2018-13"},
        CRIME | {"category": "jaywalking"},
        CRIME | {"location": CRIME["location"] | {"latitude": "north"}},
        no_street,
        CRIME | {"persistent_id": 17},
        CRIME | {"outcome_status": {"date": "2018-04"}},
        ASB,
    ]
    path = _write(tmp_path, bad)
    rows = list(read_street_json(path))
    assert len(rows) == len(bad)
    errors = [r for r in rows if isinstance(r, RowError)]
    assert [(e.line, e.reason) for e in errors] == [
        (2, "record 2: expected an object, found int 5"),
        (3, "record 3: missing category"),
        (4, "record 4: Month '2018-13' is not YYYY-MM"),
        (5, "record 5: unknown category 'jaywalking'"),
        (6, "record 6: bad coordinates (latitude, longitude) 'north', '-3.016000'"),
        (7, "record 7: missing location.street"),
        (8, "record 8: persistent_id is int 17, not text"),
        (9, "record 9: missing outcome_status.category"),
    ]
    assert errors[1].raw == json.dumps(bad[2], separators=(",", ":")).encode()
    assert errors[0].raw == b"5"
    assert str(errors[3]) == f"{path}:5: record 5: unknown category 'jaywalking'"
    assert [r.line for r in rows if isinstance(r, Row)] == [1, 10]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Crime ID,Month\n", "not JSON: "),
        (b"", "not JSON: "),
        (b'{"error": "too many requests"}', "not a crimes-street response: an object"),
        (b'"2018-03"', "not a crimes-street response: str '2018-03'"),
        (b'[{"category": "burglary"}\xff]', "not JSON: "),
    ],
)
def test_an_unreadable_file_is_one_row_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / NAME
    path.write_bytes(content)
    (error,) = list(read_street_json(path))
    assert isinstance(error, RowError)
    assert (error.file, error.line) == (str(path), 1)
    assert error.reason.startswith(reason), error.reason


def test_the_force_comes_from_the_file_name(tmp_path: Path) -> None:
    """A data.police.uk force id in the name gives the key and partner the CSV gives for
    that force's published name ('Cheshire Constabulary' -> cheshire-constabulary)."""
    (row,) = _read(tmp_path, [CRIME], "2018-03-cheshire-street.json")
    header = ",".join(COLUMNS)
    line = (
        f"{CRIME['persistent_id']},2018-03,Cheshire Constabulary,Cheshire Constabulary,"
        "-3.016000,53.390000,On or near Conway Street,E01018569,Cheshire West 004B,Burglary,"
        "Under investigation,"
    )
    csv_path = tmp_path / "2018-03-cheshire-street.csv"
    csv_path.write_text(f"{header}\n{line}\n", encoding="utf-8")
    (same,) = list(read_street_csv(csv_path))
    assert isinstance(row, Row)
    assert isinstance(same, Row)
    assert row.record_key == same.record_key
    assert row.record_key.startswith("police:cheshire-constabulary:1067c80f")
    assert row.scope == same.scope == "cheshire-constabulary/2018-03"
    assert to_event(row, 1, NOW).partner == to_event(same, 1, NOW).partner
    (metropolitan,) = _read(tmp_path, [CRIME], "2019-01-metropolitan-street.json")
    assert _key(metropolitan).startswith("police:metropolitan-police-service:")


@pytest.mark.parametrize(
    "name",
    [
        "crimes.json",
        "2018-03-street.json",
        "2018-03-atlantis-street.json",
        "2018-03-Merseyside-street.json",
        "merseyside-2018-03-street.json",
    ],
)
def test_a_file_name_without_the_force_is_one_row_error(tmp_path: Path, name: str) -> None:
    (error,) = _read(tmp_path, [CRIME, ASB], name)
    assert isinstance(error, RowError)
    assert error.line == 1
    assert "the file name does not say the force" in error.reason
    assert "YYYY-MM-{force}-street.json" in error.reason


def test_a_folder_gives_both_formats_and_each_is_read_as_itself(tmp_path: Path) -> None:
    csv_path = csv_twin(tmp_path)
    json_path = tmp_path / "2018-04-merseyside-street.json"
    json_path.write_bytes(SAMPLE.read_bytes().replace(b'"2018-03"', b'"2018-04"'))
    for other in ("2018-03-merseyside-stop-and-search.csv", "notes.json", "x-street.csv.gz"):
        (tmp_path / other).write_text("", encoding="utf-8")
    (tmp_path / "old-street.json").mkdir()
    files = input_files(tmp_path, POLICE_STREET.pattern)
    assert files == [csv_path, json_path]
    assert input_files(json_path, POLICE_STREET.pattern) == [json_path]
    scopes = [{r.scope for r in POLICE_STREET.read(p) if isinstance(r, Row)} for p in files]
    assert scopes == [{"merseyside/2018-03"}, {"merseyside/2018-04"}]
    assert not [r for p in files for r in POLICE_STREET.read(p) if isinstance(r, RowError)]
