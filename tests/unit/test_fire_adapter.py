"""The fire incident adapter (LFB incident records and animal rescues shapes), pure."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from feeds.adapters.fire import read_fire_csv, to_event
from feeds.adapters.rows import Row, RowError
from feeds.publish.ledger import Issue, Ledger
from schemas.codec import encode_incident
from schemas.events import FireIncidentEvent
from tests.data_files import data_file

SAMPLE = data_file("lfb_incident_records_sample.csv")
ANIMALS = data_file("lfb_animal_rescues_2009_2021.csv")
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def events(path: Path) -> list[FireIncidentEvent]:
    rows = list(read_fire_csv(path))
    assert not [r for r in rows if isinstance(r, RowError)]
    return [to_event(r, 1, NOW) for r in rows if isinstance(r, Row)]


def test_incident_records_map_to_home_office_categories_like_an_independent_count() -> None:
    frame = pd.read_csv(SAMPLE, dtype=str)
    expected = Counter(
        {
            "Fire": lambda stop: stop.lower().replace(" ", "-"),
            "False Alarm": lambda stop: "false-alarm",
            "Special Service": lambda stop: "special-service",
        }[group](stop)
        for group, stop in zip(frame["IncidentGroup"], frame["StopCodeDescription"], strict=True)
    )
    got = events(SAMPLE)
    assert Counter(e.data.category.value for e in got) == expected
    assert len(got) == len(frame)
    assert {e.data.cause.value for e in got} == {"unknown"}, "LFB does not publish a cause"
    first = got[0]
    assert first.record_key == "fire:london:235138081"
    assert first.data.occurred.start == datetime(2009, 1, 1, 0, 0, 37, tzinfo=UTC)
    assert first.data.location.ward_code == "E05014010"
    assert first.data.location.lat is not None


def test_nothing_identifying_is_carried() -> None:
    """Postcodes, UPRNs and street names of the export appear in no event."""
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    encoded = b"".join(encode_incident(e) for e in events(SAMPLE))
    for row in rows:
        for column in ("Postcode_full", "UPRN", "USRN"):
            if row[column] and row[column] != "0.0":  # "0.0": no UPRN recorded
                assert row[column].encode() not in encoded, (column, row[column])


def test_animal_rescues_are_special_services_with_coordinates() -> None:
    got = events(ANIMALS)
    with ANIMALS.open(encoding="utf-8", errors="replace") as handle:
        total = sum(1 for _ in csv.DictReader(handle))
    assert len(got) == total
    assert {e.data.category.value for e in got} == {"special-service"}
    assert all(e.data.location.lat is not None for e in got), "grid reference where withheld"
    assert got[0].partner == "london-fire"


def test_local_time_of_call_and_a_published_cause(tmp_path: Path) -> None:
    header = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    columns = header.split(",")
    row = dict.fromkeys(columns, "")
    row |= {
        "IncidentNumber": "X1",
        "DateOfCall": "01 Jul 2018",
        "TimeOfCall": "12:00:00",
        "IncidentGroup": "Fire",
        "StopCodeDescription": "Secondary Fire",
        "PropertyCategory": "Outdoor",
        "Easting_rounded": "333650",
        "Northing_rounded": "388450",
        "FRS": "Merseyside",
        "Motive": "Deliberate",
    }
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=[*columns, "Motive"])
        writer.writeheader()
        writer.writerow(row)
        out.write("just,three,columns\n")
    rows = list(read_fire_csv(path))
    event = to_event(rows[0], 1, NOW)  # type: ignore[arg-type]
    assert event.data.occurred.start == datetime(2018, 7, 1, 11, tzinfo=UTC)  # BST
    assert event.data.cause.value == "deliberate"
    assert event.record_key == "fire:merseyside:X1"
    lat, lon = event.data.location.lat, event.data.location.lon
    assert lat is not None
    assert 53.38 < lat < 53.40
    assert lon is not None
    assert -3.01 < lon < -2.98
    assert isinstance(rows[1], RowError)
    assert rows[1].line == 3


def test_exports_are_incremental_a_missing_incident_is_not_cancelled(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    a, b = Issue("a", "h-a", ("a",)), Issue("b", "h-b", ("b",))
    ledger.record("fire", "london/2009-01", ledger.plan("fire", "london/2009-01", [a, b], False))
    assert ledger.plan("fire", "london/2009-01", [a], complete=False) == []


def test_a_refused_row_keeps_no_postcode_or_uprn(tmp_path: Path) -> None:
    """The dead-letter copy of a refused incident blanks postcode, UPRN and USRN."""
    header, first, *_ = SAMPLE.read_text(encoding="utf-8").splitlines()
    row = next(csv.DictReader([header, first]))
    row |= {"TimeOfCall": "25:99", "Postcode_full": "SW11 4LB", "UPRN": "100021491527"}
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=header.split(","), lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
    (error,) = list(read_fire_csv(path))
    assert isinstance(error, RowError)
    assert error.reason.startswith("time of call")
    assert b"SW11 4LB" not in error.raw
    assert b"100021491527" not in error.raw
    assert b"[withheld]" in error.raw
