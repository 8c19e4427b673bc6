"""The data.police.uk street-level crime adapter and the feed ledger (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from feeds.adapters.police import COLUMNS, month_interval, read_street_csv, to_event
from feeds.adapters.rows import Row, RowError
from feeds.publish.ledger import Issue, Ledger

HEADER = ",".join(COLUMNS)
CRIME = (
    "1067c80fffa39733352f4fe69a4be12ae01c672aed54b090bb88b8c5c231c314,2018-03,Merseyside Police,"
    "Merseyside Police,-3.016,53.39,On or near Conway Street,E01007162,Wirral 021A,Burglary,"
    "Under investigation,"
)
ASB = (
    ",2018-03,Merseyside Police,Merseyside Police,-3.02,53.38,On or near Park Road,E01007291,"
    "Wirral 024B,Anti-social behaviour,,"
)
OTHER_ASB = ASB.replace("Park Road", "Market Street")
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _rows(tmp_path: Path, lines: list[str], name: str = "2018-03-x-street.csv") -> list[object]:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return list(read_street_csv(path))


def test_crime_row_becomes_a_month_long_police_crime(tmp_path: Path) -> None:
    """Crime ID -> record key; the month -> an interval; 'On or near' -> the place."""
    (row,) = _rows(tmp_path, [CRIME])
    assert isinstance(row, Row)
    assert row.record_key.startswith("police:merseyside:1067c80f")
    event = to_event(row, 1, NOW)
    data = event.data
    assert data.category.value == "burglary"
    assert data.occurred.start == datetime(2018, 3, 1, tzinfo=UTC)
    assert data.occurred.end == datetime(2018, 3, 31, 23, tzinfo=UTC)  # 1 April 00:00 BST
    assert data.location.place == "On or near Conway Street"
    assert data.location.lsoa_code == "E01007162"
    assert data.location.ward_code is None  # the ward comes from the LSOA, downstream
    assert data.outcome == "under-investigation"
    assert event.partner == "merseyside-police"


def test_month_interval_is_uk_local_months() -> None:
    assert month_interval("2018-10") == (
        datetime(2018, 9, 30, 23, tzinfo=UTC),
        datetime(2018, 11, 1, tzinfo=UTC),
    )
    assert month_interval("2018-12")[1] == datetime(2019, 1, 1, tzinfo=UTC)


def test_identical_asb_rows_are_separate_records_with_stable_keys(tmp_path: Path) -> None:
    """Three identical ASB rows are three records; their keys do not depend on line order."""
    lines = [ASB, OTHER_ASB, ASB, CRIME, ASB]
    first = [r.record_key for r in _rows(tmp_path, lines) if isinstance(r, Row)]
    shuffled = lines[:]
    random.Random(3).shuffle(shuffled)
    second = [r.record_key for r in _rows(tmp_path, shuffled) if isinstance(r, Row)]
    assert len(set(first)) == 5
    assert set(first) == set(second)
    digest = first[0].split(":")[3]  # the first row's content hash
    identical = sorted(k for k in first if f":asb:{digest}:" in k)
    assert [k.rsplit(":", 1)[1] for k in identical] == ["1", "2", "3"]


def test_bad_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    rows = _rows(
        tmp_path,
        [CRIME, ASB.replace("Anti-social behaviour", "Jaywalking"), "just,three,columns", ASB],
    )
    errors = [r for r in rows if isinstance(r, RowError)]
    assert [(e.line, e.reason) for e in errors] == [
        (3, "unknown crime type 'Jaywalking'"),
        (4, "expected 12 columns, found 3"),
    ]
    assert errors[1].raw == b"just,three,columns"
    assert str(errors[0]).endswith("2018-03-x-street.csv:3: unknown crime type 'Jaywalking'")


def test_wrong_header_rejects_the_file(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    (error,) = list(read_street_csv(path))
    assert isinstance(error, RowError)
    assert error.line == 1
    assert "not a street-level crime CSV" in error.reason


def test_ledger_publishes_only_what_a_reissue_changes(tmp_path: Path) -> None:
    """New -> v1; unchanged -> nothing; changed -> v2; vanished -> cancelled; back -> v3."""
    ledger = Ledger(tmp_path / "ledger.sqlite")
    a, b, c = (Issue(k, f"h-{k}", (k,)) for k in "abc")
    first = ledger.plan("police", "m/2018-03", [a, b, c])
    assert [(x.record_key, x.version, x.kind) for x in first] == [
        ("a", 1, "new"),
        ("b", 1, "new"),
        ("c", 1, "new"),
    ]
    assert ledger.plan("police", "m/2018-03", [a, b, c]) == first, "not recorded: all again"
    ledger.record("police", "m/2018-03", first)
    assert ledger.plan("police", "m/2018-03", [a, b, c]) == []
    b2 = Issue("b", "h-b2", ("b2",))
    second = ledger.plan("police", "m/2018-03", [a, b2])
    assert [(x.record_key, x.version, x.kind, x.cancelled) for x in second] == [
        ("b", 2, "changed", False),
        ("c", 2, "cancelled", True),
    ]
    assert second[1].content == ("c",), "a cancellation carries the last content"
    ledger.record("police", "m/2018-03", second)
    third = ledger.plan("police", "m/2018-03", [a, b2, c])
    assert [(x.record_key, x.version, x.kind) for x in third] == [("c", 3, "changed")]
    assert ledger.plan("police", "m/2018-04", [a]) != [], "another period is separate"


def test_feed_command_offers_every_adapter() -> None:
    """`safer feed` lists its sources without importing the adapters; they must agree."""
    from cli.feed import SOURCES
    from feeds.adapters.registry import adapters

    assert set(SOURCES) == set(adapters(b"key"))
