"""Writes feeds/samples/2018-03-merseyside-street.json: a police.uk API response, from real data.

The records are those the API's ``crimes-street/all-crime?lat=…&lng=…&date=2018-03`` (every
street-level crime within one mile of a point) returns around Birkenhead, taken from the real
data.police.uk CSV of that month (``tests/data/2018-03-merseyside-street.csv.gz``) and kept
to Wirral's LSOAs (E01007110–E01007405): same categories, points, "On or near" streets,
outcomes and Crime IDs (``persistent_id``), in the API's record shape. What the CSV does not
have is made up, stably: ``street.id`` (from the street and point), ``id`` (from the Crime ID
or the line) and the outcome's ``date`` (the crime's month). One record a line, so that the
file diffs well; it is still one JSON array. Re-run to regenerate:
``.venv/bin/python scripts/make_police_api_sample.py``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import math
from collections.abc import Iterator
from pathlib import Path

from feeds.adapters.police import COLUMNS, CRIME_TYPES

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "data" / "2018-03-merseyside-street.csv.gz"
OUT = ROOT / "feeds" / "samples" / "2018-03-merseyside-street.json"
WIRRAL_LSOAS = ("E01007110", "E01007405")
BIRKENHEAD = (53.3925, -3.0145)
MILE_M = 1609.344


def distance_m(lat: float, lon: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def stable_int(text: str, low: int, span: int) -> int:
    return low + int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % span


def csv_rows(source: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a street-level CSV, gzipped or not."""
    packed = source.suffix == ".gz"
    with (
        gzip.open(source, "rt", encoding="utf-8-sig", newline="")
        if packed
        else source.open(encoding="utf-8-sig", newline="")
    ) as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise SystemExit(f"{source}: not a street-level crime CSV")
        for row in reader:
            yield reader.line_num, row


def api_record(line: int, row: dict[str, str]) -> dict[str, object]:
    """A CSV row as the API returns it (its key order too)."""
    point = f"{row['Location']}|{row['Latitude']}|{row['Longitude']}"
    outcome = row["Last outcome category"]
    return {
        "category": CRIME_TYPES[row["Crime type"]].value,
        "location_type": "Force",
        "location": {
            "latitude": row["Latitude"],
            "street": {"id": stable_int(point, 1_000_000, 900_000), "name": row["Location"]},
            "longitude": row["Longitude"],
        },
        "context": row["Context"],
        "outcome_status": {"category": outcome, "date": row["Month"]} if outcome else None,
        "persistent_id": row["Crime ID"],
        "id": stable_int(row["Crime ID"] or f"line {line}", 60_000_000, 10_000_000),
        "location_subtype": "",
        "month": row["Month"],
    }


def sample(source: Path, centre: tuple[float, float], radius_m: float) -> list[dict[str, object]]:
    """The Wirral records within ``radius_m`` of ``centre``, in the CSV's order."""
    low, high = WIRRAL_LSOAS
    return [
        api_record(line, row)
        for line, row in csv_rows(source)
        if row["Latitude"]
        and low <= row["LSOA code"] <= high
        and distance_m(*centre, float(row["Latitude"]), float(row["Longitude"])) <= radius_m
    ]


def write(records: list[dict[str, object]], out: Path) -> None:
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write a police.uk API crimes-street response (JSON) derived from a "
        "data.police.uk street-level CSV: the Wirral records within a radius of a point."
    )
    parser.add_argument("--source", type=Path, default=SOURCE, help="street-level CSV (.gz ok)")
    parser.add_argument("--out", type=Path, default=OUT, help="the JSON file to write")
    parser.add_argument(
        "--centre",
        type=float,
        nargs=2,
        metavar=("LAT", "LON"),
        default=BIRKENHEAD,
        help="the point of the API call (default: Birkenhead)",
    )
    parser.add_argument("--radius-m", type=float, default=MILE_M, help="the API's: one mile")
    args = parser.parse_args(argv)
    lat, lon = args.centre
    records = sample(args.source, (lat, lon), args.radius_m)
    write(records, args.out)
    crimes = sum(1 for r in records if r["persistent_id"])
    print(f"wrote {len(records)} records ({crimes} crimes) to {args.out}")


if __name__ == "__main__":
    main()
