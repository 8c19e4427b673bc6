"""The council export adapter: calls and ASB reports, references pseudonymised on reading."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.adapters.council import (
    COLUMNS,
    WITHHELD,
    council_adapter,
    parse_local,
    read_council_csv,
    to_event,
)
from feeds.adapters.pseudonyms import pseudonym
from feeds.adapters.rows import Row, RowError
from schemas.categories import ASB_TYPE_CATEGORY, AsbType
from schemas.codec import encode_incident

SAMPLE = Path(__file__).resolve().parents[2] / "feeds" / "samples" / "council_export_sample.csv"
KEY = b"test-key"
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_sample_export_adapts_whole_and_keeps_no_reference() -> None:
    raw = _sample_rows()
    rows = list(read_council_csv(SAMPLE, KEY))
    assert not [r for r in rows if isinstance(r, RowError)]
    events = [to_event(r, 1, NOW) for r in rows if isinstance(r, Row)]
    assert len(events) == len(raw) > 300
    assert Counter(e.type.value for e in events) == Counter(
        {"asb": "council.asb", "call": "council.call"}[r["record_type"]] for r in raw
    )
    references = {r[c] for r in raw for c in ("caller_ref", "address_ref") if r[c]}
    assert references, "the sample has caller and address references"
    encoded = b"".join(encode_incident(e) for e in events)
    stored = "".join("".join(r.fields) for r in rows if isinstance(r, Row))
    for reference in references:
        assert reference.encode() not in encoded
        assert reference not in stored, "the ledger never holds a reference either"


def test_repeat_callers_keep_one_pseudonym_per_reference() -> None:
    raw = _sample_rows()
    events = [to_event(r, 1, NOW) for r in read_council_csv(SAMPLE, KEY) if isinstance(r, Row)]
    by_reference: dict[str, set[str | None]] = {}
    for row, event in zip(raw, events, strict=True):
        if row["caller_ref"]:
            by_reference.setdefault(row["caller_ref"], set()).add(event.data.caller_ref)
    assert all(len(p) == 1 for p in by_reference.values())
    assert any(len(r) > 1 for r in Counter(r["caller_ref"] for r in raw if r["caller_ref"]).items())
    some = next(iter(by_reference))
    assert by_reference[some] == {pseudonym(KEY, some)}
    other_key = [
        to_event(r, 1, NOW) for r in read_council_csv(SAMPLE, b"other") if isinstance(r, Row)
    ]
    assert {e.data.caller_ref for e in other_key}.isdisjoint(
        {e.data.caller_ref for e in events} - {None}
    )


def _export(tmp_path: Path, *rows: dict[str, str]) -> Path:
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "caller_name"], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


BASE = {
    "reference": "ASB-2026-000001",
    "record_type": "asb",
    "received": "2026-07-01T12:00",
    "asb_type": "Youth gang",
    "youth": "Y",
    "street": "Conway Street",
    "caller_ref": "CON-1",
    "address_ref": "ADR-1",
    "caller_name": "Jane Example",
}


def test_an_asb_report_becomes_council_asb(tmp_path: Path) -> None:
    (row,) = read_council_csv(_export(tmp_path, BASE), KEY)
    assert isinstance(row, Row)
    event = to_event(row, 1, NOW)
    assert event.record_key == "council:council:asb:ASB-2026-000001"
    assert event.data.asb_type is AsbType.YOUTH_GANG  # a label is read as its slug
    assert event.data.category is ASB_TYPE_CATEGORY[AsbType.YOUTH_GANG]
    assert event.data.received_at == datetime(2026, 7, 1, 11, tzinfo=UTC)  # BST
    assert event.data.people.youth is True
    assert event.data.location.place == "Conway Street"
    assert b"Jane" not in encode_incident(event), "unknown columns are never read"
    cancelled = to_event(
        next(iter(read_council_csv(_export(tmp_path, BASE | {"status": "Withdrawn"}), KEY))), 2, NOW
    )  # type: ignore[arg-type]
    assert cancelled.status.value == "cancelled"


def test_a_refused_row_is_dead_lettered_without_identifying_data(tmp_path: Path) -> None:
    """A street with a house number is refused; the dead-letter copy withholds the street
    and carries pseudonyms, never the references."""
    (row,) = read_council_csv(_export(tmp_path, BASE | {"street": "12 Acacia Avenue"}), KEY)
    assert isinstance(row, Row)
    with pytest.raises(ValueError, match=r"personal data \(house-number\)"):
        to_event(row, 1, NOW)
    copy = council_adapter(KEY).dead_letter_bytes(row)
    assert WITHHELD.encode() in copy
    assert b"Acacia" not in copy
    assert b"CON-1" not in copy
    assert pseudonym(KEY, "CON-1").encode() in copy


def test_unreadable_rows_are_reported_by_line(tmp_path: Path) -> None:
    path = _export(tmp_path, BASE | {"record_type": "letter"}, BASE | {"received": "soon"})
    with path.open("a", encoding="utf-8") as out:
        out.write("only,three,columns\n")
    errors = list(read_council_csv(path, KEY))
    assert [(e.line, e.reason.split(":")[0]) for e in errors if isinstance(e, RowError)] == [
        (2, "record_type 'letter' is not asb or call"),
        (3, "received"),
        (4, "expected 21 columns, found 3 (row withheld)"),
    ]
    assert all(b"CON-1" not in e.raw for e in errors if isinstance(e, RowError))


def test_times_are_uk_local_unless_an_offset_is_given() -> None:
    assert parse_local("30/10/2026 09:33") == datetime(2026, 10, 30, 9, 33, tzinfo=UTC)
    assert parse_local("01/07/2026 09:33") == datetime(2026, 7, 1, 8, 33, tzinfo=UTC)
    assert parse_local("2026-07-01T09:33:00+00:00") == datetime(2026, 7, 1, 9, 33, tzinfo=UTC)
