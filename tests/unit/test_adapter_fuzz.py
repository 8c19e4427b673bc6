"""Every partner adapter over mutated real rows (issue 13: one bad record must never stop the
tracker): each record of a file ends as a valid event or as a rejection reading
``FILE:LINE: reason``, the way ``feeds.publish.importer`` turns rows into events and dead letters,
and nothing raises. The regression tests at the end keep what these properties found (the
``bench/fuzz`` harnesses, run for ten minutes each after the fixes, found nothing more)."""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.adapters.council import REQUIRED as COUNCIL_REQUIRED
from feeds.adapters.fire import SHAPES
from feeds.adapters.police import COLUMNS as STREET_COLUMNS
from feeds.adapters.registry import adapters
from feeds.adapters.rows import Adapter, Row, RowError
from feeds.adapters.stop_search import COLUMNS as SEARCH_COLUMNS
from schemas.events import (
    ControlRoomCallEvent,
    CouncilAsbEvent,
    FireIncidentEvent,
    PoliceCrimeEvent,
    PoliceStopSearchEvent,
)
from tests.data_files import data_file
from tests.importing import Outcome, import_file

SAMPLES = Path(__file__).resolve().parents[2] / "feeds" / "samples"
KEY = b"fuzz-test-key"
ADAPTERS = adapters(KEY)
STREET_CSV = "2018-03-merseyside-street.csv"
STREET_JSON = "2018-03-merseyside-street.json"
SEARCH_CSV = "2018-03-merseyside-stop-and-search.csv"
COUNCIL_CSV = "council-export.csv"
FIRE_CSV = "fire-incidents.csv"
FUZZ = settings(
    max_examples=150,  # ~1 s per property on the shared 2-core machine
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one file in tmp_path, rewritten per example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# -- the real rows the properties mutate ---------------------------------------------------


def _csv_head(path: Path, rows: int, errors: str = "strict") -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", errors=errors, newline="") as handle:
        header, *body = itertools.islice(csv.reader(handle), rows + 1)
    return header, body


STREET = _csv_head(data_file(STREET_CSV), 40)
SEARCHES = _csv_head(data_file(SEARCH_CSV), 40)
COUNCIL = _csv_head(SAMPLES / "council_export_sample.csv", 40)
FIRE = _csv_head(data_file("lfb_incident_records_sample.csv"), 20)
ANIMALS = _csv_head(data_file("lfb_animal_rescues_2009_2021.csv"), 20, errors="replace")
RECORDS: list[dict[str, Any]] = json.loads((SAMPLES / STREET_JSON).read_bytes())[:40]

# -- mutations -------------------------------------------------------------------------------

EXTREMES = (
    *("", " ", "\t", "  padded  ", "0", "-0", "-1", "-99999999999999999999", "9" * 5000),
    *("NaN", "nan", "inf", "-inf", "1e309", "-1e-400", "0x1F", "١٢٣"),
    *("0001-01", "9999-12", "1900-01", "0000-00", "2018-13", "2018-3", "2018-03-01"),
    *("0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"),
    *("1900-01-01T00:00:00", "2018-03-01T01:47:46", "2018-03-01T24:00:00+00:00"),
    *("01/01/0001 00:00", "31/12/9999 23:59", "29/02/2019 10:00", "01 Jan 0001", "31 Dec 9999"),
    *("\x00", "\r", "\n", "\r\n", '"', ",", '","', "'", "\\", "=1+1", "\x1f", "\x7f"),
    *("\ufeff", "\u202e", "\u2028", "\x85", "\U0010ffff", "\U0001f525" * 40, "e\u0301" * 30),
    *("x" * 200_000, "y" * 1000),
    *("On or near 10 Downing Street", "John Smith", "L1 8JQ", "07700 900123"),
)
VALUES = st.one_of(
    st.sampled_from(EXTREMES),
    st.text(max_size=30),
    st.integers().map(str),
    st.floats().map(str),
)
BAD_BYTES = (b"\xff", b"\xfe\xff", b"\xc3(", b"\xed\xa0\x80", b"\xe9", b"\x80\x80", b"\xf8\x88")


def one_time_in(n: int) -> st.SearchStrategy[bool]:
    """True about one time in ``n`` (a value in the middle of the range: hypothesis draws
    the ends of a range far more often)."""
    return st.integers(1, n).map(lambda drawn: drawn == n // 2 + 1)


@st.composite
def mutated_row(draw: st.DrawFn, row: list[str]) -> list[str]:
    """A row with up to three fields replaced, dropped, added or swapped."""
    values = list(row)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(("set", "set", "set", "drop", "add", "swap")))
        at = draw(st.integers(0, max(len(values) - 1, 0)))
        if op == "add":
            values.insert(at, draw(VALUES))
        elif values and op == "set":
            values[at] = draw(VALUES)
        elif values and op == "drop":
            del values[at]
        elif values:
            other = draw(st.integers(0, len(values) - 1))
            values[at], values[other] = values[other], values[at]
    return values


@st.composite
def damaged(draw: st.DrawFn, data: bytes, one_in: int) -> bytes:
    """A file's bytes, one time in ``one_in`` with a BOM (or two), truncated or with bytes
    that are not UTF-8."""
    if not draw(one_time_in(one_in)):
        return data
    for op in draw(st.lists(st.sampled_from(("bom", "truncate", "bad-byte")), max_size=3)):
        if op == "bom":
            data = b"\xef\xbb\xbf" + data
        elif op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        else:
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.sampled_from(BAD_BYTES)) + data[at:]
    return data


@st.composite
def csv_file(draw: st.DrawFn, sample: tuple[list[str], list[list[str]]]) -> bytes:
    """An export made of mutated real rows (its header mutated one time in ten), written
    with any line ending, as UTF-8 or Windows-1252, then perhaps damaged."""
    header, rows = sample
    picked = draw(st.lists(st.sampled_from(rows), min_size=1, max_size=6))
    body = [draw(mutated_row(row)) for row in picked]
    if draw(one_time_in(10)):
        header = draw(mutated_row(header))
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(("\n", "\r\n", "\r")))).writerows(
        [header, *body]
    )
    encoding = draw(st.sampled_from(("utf-8", "utf-8", "utf-8", "cp1252")))
    return draw(damaged(out.getvalue().encode(encoding, errors="replace"), one_in=3))


LONE_SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.sampled_from(EXTREMES),
        st.text(max_size=20),
        LONE_SURROGATES,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
JSON_PATHS = (
    ("category",),
    ("month",),
    ("persistent_id",),
    ("context",),
    ("outcome_status",),
    ("outcome_status", "category"),
    ("location",),
    ("location", "latitude"),
    ("location", "longitude"),
    ("location", "street"),
    ("location", "street", "name"),
    ("extra",),
)
_DEEP = "\x00deep:{}\x00"
"""Stands in for a value nested this deep (spliced into the JSON text after dumping)."""


@st.composite
def mutated_record(draw: st.DrawFn, record: dict[str, Any]) -> object:
    """A crimes-street record with up to three values replaced (by any JSON, lone surrogates
    or nested arrays) or dropped; one time in twenty not an object at all."""
    if draw(one_time_in(20)):
        return draw(JSON_VALUES)
    record = copy.deepcopy(record)
    for _ in range(draw(st.integers(0, 3))):
        *parents, name = draw(st.sampled_from(JSON_PATHS))
        parent: Any = record
        for step in parents:
            parent = parent.get(step) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue
        op = draw(st.sampled_from(("set", "set", "drop", "deep")))
        if op == "set":
            parent[name] = draw(JSON_VALUES)
        elif op == "drop":
            parent.pop(name, None)
        else:
            parent[name] = _DEEP.format(draw(st.sampled_from((20, 200, 600))))
    return record


def _splice_deep(text: str) -> str:
    return re.sub(r'"\\u0000deep:(\d+)\\u0000"', lambda m: "[" * int(m[1]) + "]" * int(m[1]), text)


@st.composite
def json_file(draw: st.DrawFn) -> bytes:
    """A crimes-street response of mutated real records (now and then not an array, or
    nested too deep), as escaped ASCII or raw UTF-8 (lone surrogates then make it invalid),
    perhaps damaged."""
    picked = draw(st.lists(st.sampled_from(RECORDS), min_size=1, max_size=6))
    body: object = [draw(mutated_record(r)) for r in picked]
    if draw(one_time_in(20)):
        body = {"crimes": body}
    ascii_only = not draw(one_time_in(4))
    text = _splice_deep(json.dumps(body, ensure_ascii=ascii_only))
    if draw(one_time_in(30)):
        text = "[" * 100_000 + text  # deeper than the parser can go
    return draw(damaged(text.encode("utf-8", errors="surrogatepass"), one_in=8))


# -- the importer's way, and what it must come to ----------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a file must be read as: how many records follow a usable header (None: the file
    is one line-1 error, as each adapter documents for a header it does not know)."""

    records: int | None
    oversized: bool = False
    """A record has a field over the csv module's limit: it is rejected and reading resumes
    at the next line, which may be inside a quoted field, so later records may be split."""


def csv_expected(
    data: bytes, header_ok: Callable[[list[str]], bool], errors: str = "surrogateescape"
) -> Expected:
    """The records of a CSV file as the csv module reads it opened with ``newline=""``
    (here without its field size limit, to see which records go over it)."""
    limit = csv.field_size_limit(sys.maxsize)
    try:
        records = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors), newline="")))
    finally:
        csv.field_size_limit(limit)
    oversized = [any(len(v) > limit for v in record) for record in records]
    if not records or oversized[0] or not header_ok(records[0]):
        return Expected(None)
    return Expected(len(records) - 1, any(oversized))


def json_expected(data: bytes) -> Expected:
    """How many records a crimes-street array holds (None: not a JSON array, one error)."""
    try:
        records = json.loads(data)
    except (ValueError, RecursionError):
        return Expected(None)
    return Expected(len(records) if isinstance(records, list) else None)


def assert_all_accounted_for(
    adapter: Adapter,
    path: Path,
    data: bytes,
    expected: Expected,
    kinds: tuple[type, ...],
) -> Outcome:
    """Import ``data`` as ``path``: nothing raises, every record read is an event or a
    ``FILE:LINE: reason`` rejection (dead-lettered), or the file is one line-1 error."""
    path.write_bytes(data)
    outcome = import_file(adapter, path)
    shape = re.compile(rf"{re.escape(str(path))}:[1-9][0-9]*: \S.*", re.DOTALL)
    for error in outcome.rejected:
        assert error.file == str(path)
        assert shape.fullmatch(str(error)), str(error)
    if expected.records is None:
        assert len(outcome.read) == 1, outcome.read
        assert isinstance(outcome.read[0], RowError)
        assert outcome.read[0].line == 1
    elif expected.oversized:
        assert any("field larger than field limit" in e.reason for e in outcome.rejected)
    else:
        assert len(outcome.read) == expected.records, "a record was dropped or read twice"
    rows = [r for r in outcome.read if isinstance(r, Row)]
    refused = len(outcome.rejected) - (len(outcome.read) - len(rows))
    assert len(outcome.events) + refused == len(rows)
    assert all(isinstance(event, kinds) for event in outcome.events)
    assert len(outcome.publisher.messages) == len(outcome.events)
    assert len(outcome.publisher.dead) == len(outcome.rejected)
    return outcome


def _street_header(header: list[str]) -> bool:
    return tuple(header) == STREET_COLUMNS


def _search_header(header: list[str]) -> bool:
    return tuple(header) == SEARCH_COLUMNS


def _council_header(header: list[str]) -> bool:
    return set(COUNCIL_REQUIRED) <= {h.strip() for h in header}


def _fire_header(header: list[str]) -> bool:
    return any(set(columns.values()) <= set(header) for columns in SHAPES.values())


# -- the properties --------------------------------------------------------------------------


@FUZZ
@given(data=csv_file(STREET))
def test_police_street_csv_rows_are_events_or_rejections(tmp_path: Path, data: bytes) -> None:
    """A mutated street-level crime CSV: every record an event or a FILE:LINE rejection."""
    expected = csv_expected(data, _street_header)
    assert_all_accounted_for(
        ADAPTERS["police"], tmp_path / STREET_CSV, data, expected, (PoliceCrimeEvent,)
    )


@FUZZ
@given(data=json_file())
def test_police_api_json_records_are_events_or_rejections(tmp_path: Path, data: bytes) -> None:
    """A mutated crimes-street response: every record an event or a FILE:N rejection."""
    expected = json_expected(data)
    assert_all_accounted_for(
        ADAPTERS["police"], tmp_path / STREET_JSON, data, expected, (PoliceCrimeEvent,)
    )


@FUZZ
@given(data=csv_file(SEARCHES))
def test_stop_search_rows_are_events_or_rejections(tmp_path: Path, data: bytes) -> None:
    """A mutated stop and search CSV: every record an event or a FILE:LINE rejection."""
    expected = csv_expected(data, _search_header)
    assert_all_accounted_for(
        ADAPTERS["stop-search"], tmp_path / SEARCH_CSV, data, expected, (PoliceStopSearchEvent,)
    )


@FUZZ
@given(data=csv_file(COUNCIL))
def test_council_rows_are_events_or_rejections(tmp_path: Path, data: bytes) -> None:
    """A mutated council export: every record an event or a FILE:LINE rejection."""
    expected = csv_expected(data, _council_header)
    kinds = (CouncilAsbEvent, ControlRoomCallEvent)
    assert_all_accounted_for(ADAPTERS["council"], tmp_path / COUNCIL_CSV, data, expected, kinds)


@FUZZ
@given(data=st.one_of(csv_file(FIRE), csv_file(ANIMALS)))
def test_fire_rows_are_events_or_rejections(tmp_path: Path, data: bytes) -> None:
    """A mutated fire export (either shape): every record an event or a FILE:LINE rejection."""
    expected = csv_expected(data, _fire_header, errors="replace")
    assert_all_accounted_for(
        ADAPTERS["fire"], tmp_path / FIRE_CSV, data, expected, (FireIncidentEvent,)
    )


# -- what the properties found, kept (each: what escaped before the fix) ----------------------


def _csv_bytes(sample: tuple[list[str], list[list[str]]], rows: int, ending: str = "\n") -> bytes:
    """The header and the first ``rows`` rows of a sample, as its partner writes them."""
    header, body = sample
    out = io.StringIO()
    csv.writer(out, lineterminator=ending).writerows([header, *body[:rows]])
    return out.getvalue().encode()


def _lines(outcome: Outcome) -> list[int]:
    return [row.line for row in outcome.read if isinstance(row, Row)]


def _errors(outcome: Outcome) -> list[str]:
    return [str(error) for error in outcome.read if isinstance(error, RowError)]


def test_a_byte_that_is_not_utf8_rejects_its_row_only(tmp_path: Path) -> None:
    """A Windows-1252 byte in one street CSV row rejects that row, bytes as sent, not the file."""
    # was: UnicodeDecodeError out of the reader, the import stopped
    lines = _csv_bytes(STREET, 3).split(b"\n")
    lines[2] = lines[2].replace(b"On or near", b"On or n\xe9ar")
    path = tmp_path / STREET_CSV
    outcome = assert_all_accounted_for(
        ADAPTERS["police"], path, b"\n".join(lines), Expected(3), (PoliceCrimeEvent,)
    )
    assert _errors(outcome) == [f"{path}:3: column 7 is not UTF-8 text"]
    assert _lines(outcome) == [2, 4]
    (error,) = outcome.rejected
    assert error.raw == lines[2]


def test_a_header_that_is_not_utf8_is_one_error(tmp_path: Path) -> None:
    """A stop and search header with a byte that is not UTF-8 is one line-1 error."""
    # was: UnicodeDecodeError out of the reader
    data = b"\xef\xbb\xbf\xff" + _csv_bytes(SEARCHES, 2)
    path = tmp_path / SEARCH_CSV
    kinds = (PoliceStopSearchEvent,)
    outcome = assert_all_accounted_for(ADAPTERS["stop-search"], path, data, Expected(None), kinds)
    (error,) = _errors(outcome)
    assert error.startswith(f"{path}:1: not a stop and search CSV: header ['\\udcffType'")


def test_lone_carriage_returns_end_lines(tmp_path: Path) -> None:
    """A street CSV with old Mac line endings (a lone CR) is read row by row."""
    # kept when the reader moved from strict to surrogate-escaped decoding
    path = tmp_path / STREET_CSV
    data = _csv_bytes(STREET, 3, ending="\r")
    outcome = assert_all_accounted_for(
        ADAPTERS["police"], path, data, Expected(3), (PoliceCrimeEvent,)
    )
    assert _lines(outcome) == [2, 3, 4]


def test_a_form_feed_does_not_shift_the_dead_letter_bytes(tmp_path: Path) -> None:
    """A form feed in a street CSV row does not shift a later rejected row's dead-letter bytes."""
    # was: the lines for the bytes came from str.splitlines, which also splits at \x0c
    header, rows = STREET
    fed, bad = [*rows[0]], [*rows[1]]
    fed[header.index("Context")] = "see\x0coverleaf"
    bad[header.index("Month")] = "2018-13"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, fed, bad])
    path, data = tmp_path / STREET_CSV, out.getvalue().encode()
    outcome = assert_all_accounted_for(
        ADAPTERS["police"], path, data, Expected(2), (PoliceCrimeEvent,)
    )
    assert _errors(outcome) == [f"{path}:3: Month '2018-13' is not YYYY-MM"]
    assert outcome.rejected[0].raw == data.split(b"\n")[2]


def test_a_field_over_the_csv_limit_rejects_its_row_only(tmp_path: Path) -> None:
    """A fire row with a 200,000-character field is one rejection; the next row is read."""
    # was: csv.Error "field larger than field limit" out of the reader, the import stopped
    header, rows = FIRE
    huge = [*rows[0][:-1], "x" * 200_000]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, huge, rows[1]])
    path = tmp_path / FIRE_CSV
    outcome = assert_all_accounted_for(
        ADAPTERS["fire"],
        path,
        out.getvalue().encode(),
        Expected(2, oversized=True),
        (FireIncidentEvent,),
    )
    reason = "not CSV: field larger than field limit (131072) (row withheld)"
    assert _errors(outcome) == [f"{path}:2: {reason}"]
    assert _lines(outcome) == [3]


def _council_file(tmp_path: Path, **values: str) -> tuple[Path, bytes]:
    header, rows = COUNCIL
    row = [values.get(name, value) for name, value in zip(header, rows[0], strict=True)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    return tmp_path / COUNCIL_CSV, out.getvalue().encode()


def test_a_council_row_that_is_not_utf8_is_withheld(tmp_path: Path) -> None:
    """A council row with a byte that is not UTF-8 is rejected by line, nothing of it kept."""
    # was: UnicodeDecodeError out of the reader (its references cannot be pseudonymised)
    path, data = _council_file(tmp_path, caller_ref="CON-\x00SECRET")
    data = data.replace(b"\x00", b"\xff")
    kinds = (CouncilAsbEvent, ControlRoomCallEvent)
    outcome = assert_all_accounted_for(ADAPTERS["council"], path, data, Expected(1), kinds)
    assert _errors(outcome) == [f"{path}:2: column 17 is not UTF-8 text (row withheld)"]
    assert outcome.rejected[0].raw == b""
    assert not [letter for letter in outcome.publisher.dead if b"SECRET" in letter]


def test_a_council_time_without_a_utc_or_uk_time_is_rejected(tmp_path: Path) -> None:
    """Council times with no UTC or UK time (near year 1) are rejections."""
    # was: OverflowError out of the reader (received), out of to_event past the importer
    kinds = (CouncilAsbEvent, ControlRoomCallEvent)
    for received in ("0001-01-01T00:00+05:00", "0001-01-01T00:00:30+00:00"):
        path, data = _council_file(tmp_path, received=received)
        outcome = assert_all_accounted_for(ADAPTERS["council"], path, data, Expected(1), kinds)
        assert _errors(outcome) == [f"{path}:2: received: {received!r} is out of range"]
    path, data = _council_file(tmp_path, occurred_from="0001-01-01T00:00+05:00")
    outcome = assert_all_accounted_for(ADAPTERS["council"], path, data, Expected(1), kinds)
    (error,) = outcome.rejected
    assert str(error) == f"{path}:2: '0001-01-01T00:00+05:00' is out of range"


def test_a_stop_search_date_without_a_utc_time_is_rejected(tmp_path: Path) -> None:
    """A search dated 0001-01-01T00:00:00+05:00 (no UTC time) is a rejection."""
    # was: OverflowError out of to_event (the schema's UTC conversion), past the importer
    header, rows = SEARCHES
    row = [*rows[0]]
    row[header.index("Date")] = "0001-01-01T00:00:00+05:00"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row])
    path = tmp_path / SEARCH_CSV
    kinds = (PoliceStopSearchEvent,)
    data = out.getvalue().encode()
    outcome = assert_all_accounted_for(ADAPTERS["stop-search"], path, data, Expected(1), kinds)
    assert _errors(outcome) == [f"{path}:2: Date '0001-01-01T00:00:00+05:00' is out of range"]


def test_a_lone_surrogate_in_the_api_json_rejects_its_record(tmp_path: Path) -> None:
    """A record whose street name is the JSON escape of a lone surrogate is rejected."""
    # was: UnicodeEncodeError hashing its content for the ledger: UTF-8 cannot carry it
    crime = copy.deepcopy(next(r for r in RECORDS if r["persistent_id"]))
    crime["location"]["street"]["name"] = "On or near \ud800"
    data = json.dumps([crime, RECORDS[0]]).encode()
    path = tmp_path / STREET_JSON
    outcome = assert_all_accounted_for(
        ADAPTERS["police"], path, data, Expected(2), (PoliceCrimeEvent,)
    )
    reason = "record 1: location.street.name holds a lone surrogate, not text"
    assert _errors(outcome) == [f"{path}:1: {reason}"]
    assert b'"On or near \\ud800"' in outcome.rejected[0].raw
    assert _lines(outcome) == [2]


def test_a_surrogate_encoded_in_the_api_json_bytes_rejects_its_record(tmp_path: Path) -> None:
    """A record of UTF-8-encoded surrogate bytes (the json module reads them) is rejected."""
    # was: UnicodeEncodeError making its dead-letter copy
    path = tmp_path / STREET_JSON
    outcome = assert_all_accounted_for(
        ADAPTERS["police"], path, b'["\xed\xa0\x80"]', Expected(1), (PoliceCrimeEvent,)
    )
    assert _errors(outcome) == [f"{path}:1: record 1: expected an object, found str '\\ud800'"]
    assert outcome.rejected[0].raw == b'"\\ud800"'
