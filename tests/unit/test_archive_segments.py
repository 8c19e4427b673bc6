"""The archive's segment files: frames round-trip, a torn tail is cut, replays are skipped,
segments roll by size and reading from an offset skips whole segments."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bus.archive.catalog import Catalog
from bus.archive.segments import PartitionLog, Record, decode, encode, read, segment_paths

blobs = st.one_of(st.none(), st.binary(max_size=64))
records = st.builds(
    Record,
    offset=st.integers(0, 2**40),
    timestamp=st.integers(-1, 2**45),
    key=blobs,
    value=blobs,
    headers=st.lists(st.tuples(st.text(max_size=10), blobs), max_size=3).map(tuple),
)


def _records(n: int, start: int = 0) -> list[Record]:
    return [Record(i, 1_700_000_000_000 + i, b"k", f"v{i}".encode(), ()) for i in range(start, n)]


@given(records)
def test_a_frame_round_trips(record: Record) -> None:
    """Encoding then decoding a record's body gives the record back."""
    assert decode(encode(record)[8:]) == record


def test_append_then_read_back_and_replays_are_skipped(tmp_path: Path) -> None:
    """Appended records read back in order; appending the same offsets again adds nothing."""
    log = PartitionLog.open(tmp_path / "p")
    assert log.append(_records(10)) == 10
    assert log.append(_records(12)) == 2
    log.close()
    assert [r.offset for r in read(tmp_path / "p")] == list(range(12))
    assert PartitionLog.open(tmp_path / "p").end == 12


def test_a_torn_last_frame_is_cut_on_open(tmp_path: Path) -> None:
    """A crash mid-write leaves half a frame: reopening cuts it and appends after the last
    whole record."""
    log = PartitionLog.open(tmp_path / "p")
    log.append(_records(5))
    log.close()
    (segment,) = segment_paths(tmp_path / "p")
    whole = segment.stat().st_size
    with segment.open("ab") as out:
        out.write(encode(_records(6, 5)[0])[:-3])
    reopened = PartitionLog.open(tmp_path / "p")
    assert (reopened.end, segment.stat().st_size) == (5, whole)
    reopened.append(_records(7, 5))
    reopened.close()
    assert [r.offset for r in read(tmp_path / "p")] == list(range(7))


def test_a_corrupt_frame_ends_the_readable_log(tmp_path: Path) -> None:
    """A flipped byte fails the checksum: reading stops before it, never yields garbage."""
    log = PartitionLog.open(tmp_path / "p")
    log.append(_records(4))
    log.close()
    (segment,) = segment_paths(tmp_path / "p")
    data = bytearray(segment.read_bytes())
    data[-2] ^= 0xFF
    segment.write_bytes(bytes(data))
    assert [r.offset for r in read(tmp_path / "p")] == [0, 1, 2]


def test_segments_roll_by_size_and_read_from_an_offset(tmp_path: Path) -> None:
    """Small segments: several files named by first offset; reading from 37 starts there."""
    log = PartitionLog.open(tmp_path / "p", segment_bytes=200)
    log.append(_records(50))
    log.close()
    paths = segment_paths(tmp_path / "p")
    assert len(paths) > 5
    assert paths[0].name == f"{0:020d}.seg"
    assert [r.offset for r in read(tmp_path / "p", start=37)] == list(range(37, 50))
    assert PartitionLog.open(tmp_path / "p", segment_bytes=200).end == 50


def test_catalog_identity_is_stable_and_clean_marks_round_trip(tmp_path: Path) -> None:
    """The identity is created once; clean marks appear and disappear."""
    catalog = Catalog(tmp_path / "log")
    identity = catalog.identity()
    assert identity.startswith("safer-")
    assert Catalog(tmp_path / "log").identity() == identity
    assert catalog.clean_ends() is None
    catalog.mark_clean({"t|0": 3})
    assert catalog.clean_ends() == {"t|0": 3}
    catalog.mark_unclean()
    assert catalog.clean_ends() is None
