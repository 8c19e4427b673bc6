"""One-off derivation of ``geography/data/wirral_police_points.csv`` from data.police.uk
files.

Keeps the street-level crime rows (2018-03 to 2018-07, Merseyside Police) whose 2011 LSOA
is in the areas file, and writes each distinct anonymised point (LSOA, lat, lon, the
police.uk ``On or near …`` name) with the number of crimes recorded at it. Those counts
are what make the simulator's hot spots real. Re-run with::

    python -m scripts.derive_police_points [SHARED_DATA_DIR] [OUT_CSV]
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from geography.areas import Areas, load_areas

DEFAULT_SOURCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT / "geography" / "data" / "wirral_police_points.csv"
MONTHS = ("2018-03", "2018-04", "2018-05", "2018-06", "2018-07")
Point = tuple[str, str, str, str]
"""(lsoa_code, lat, lon, place) exactly as written in the source files."""


def street_files(source_dir: Path, months: Iterable[str] = MONTHS) -> list[Path]:
    return [source_dir / f"{month}-merseyside-street.csv" for month in months]


def read_points(paths: Iterable[Path], lsoa_codes: frozenset[str]) -> Iterator[Point]:
    """Every located crime row in the given LSOAs, as its anonymised point."""
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                code, place = row["LSOA code"], row["Location"].strip()
                if code in lsoa_codes and row["Latitude"] and place.startswith("On or near "):
                    yield code, row["Latitude"], row["Longitude"], place


def count_points(paths: Iterable[Path], areas: Areas) -> Counter[Point]:
    return Counter(read_points(paths, frozenset(lsoa.code for lsoa in areas.lsoas)))


def _lsoa_place_order(item: tuple[Point, int]) -> tuple[str, str, str, str]:
    code, lat, lon, place = item[0]
    return code, place, lat, lon


def write_points(counts: Counter[Point], out: Path) -> int:
    """Write the points sorted by LSOA then place; returns the number of points."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["lsoa_code", "lat", "lon", "place", "crimes"])
        for (code, lat, lon, place), crimes in sorted(counts.items(), key=_lsoa_place_order):
            writer.writerow([code, lat, lon, place, crimes])
    return len(counts)


def derive(source_dir: Path = DEFAULT_SOURCE_DIR, out: Path = DEFAULT_OUT) -> int:
    return write_points(count_points(street_files(source_dir), load_areas()), out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source_dir = Path(args[0]) if args else DEFAULT_SOURCE_DIR
    out = Path(args[1]) if len(args) > 1 else DEFAULT_OUT
    written = derive(source_dir, out)
    sys.stdout.write(f"{written} points written to {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
