"""``safer query counts`` end to end: seeded through the real writer, read by a subprocess."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis as AsyncRedis

from geography.areas import load_areas
from safer.settings import Settings, child_env
from schemas.calendar import LONDON
from schemas.codec import decode_incident
from store.writer import writer_for
from tests.builders import (
    encode,
    make_control_room_call,
    make_council_asb,
    make_fire_incident,
    make_police_incident,
)
from tests.conftest import Infra

W1, W1_NAME = "E05000956", "Birkenhead and Tranmere"
W2, W2_NAME = "E05000960", "Eastham"
W2_PLACE = {"ward_code": W2, "lsoa_code": "E01007164", "lat": 53.320981, "lon": -2.956003}
YEAR = timedelta(days=364)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _span(start: datetime, end: datetime | None = None) -> dict[str, Any]:
    occurred = {"start": start.isoformat()} | ({"end": end.isoformat()} if end else {})
    return {"occurred": occurred}


def _police(category: str, start: datetime, end: datetime, **data: Any) -> dict[str, Any]:
    return make_police_incident(data={"category": category, **_span(start, end), **data})


class Seeded:
    """Windows around the seeded events: a recent day A (20 days back), an old day B
    (100 days back) and, for A, the same day 364 days earlier."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        day = timedelta(days=1)
        self.a = datetime.combine(now.date() - 20 * day, datetime.min.time(), UTC)
        self.b = datetime.combine(now.date() - 100 * day, datetime.min.time(), UTC)
        local_b = (self.b + timedelta(hours=12)).astimezone(LONDON).date()
        first = date(local_b.year, local_b.month, 1)
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        self.month = (
            datetime(first.year, first.month, 1, tzinfo=LONDON),
            datetime(nxt.year, nxt.month, 1, tzinfo=LONDON),
        )

    def events(self) -> list[dict[str, Any]]:
        a, b, h = self.a, self.b, timedelta(hours=1)
        earlier = a - YEAR
        received: dict[str, Any] = {"received_at": self.now.isoformat()}
        return [
            # day A: police 3 (2 in W1), council 2, fire 1
            _police("burglary", a + 2 * h, a + 3 * h, **received),
            _police("burglary", a + 5 * h, a + 7 * h, **received),
            _police("robbery", a + 10 * h, a + 11 * h, **received),
            _police("burglary", a + 2 * h, a + 3 * h, location=W2_PLACE, **received),
            make_council_asb(data={**_span(a + 4 * h, a + 6 * h), **received}),
            make_control_room_call(data=_span(a + 12 * h + timedelta(minutes=4)) | received),
            make_fire_incident(data=_span(a + 20 * h) | received),
            # the same day 364 days earlier: one burglary, one ASB
            _police("burglary", earlier + h, earlier + 2 * h, **received),
            make_council_asb(data={**_span(earlier + 3 * h, earlier + 4 * h), **received}),
            # day B: one burglary, and a drugs record known only by its (local) month
            _police("burglary", b + 8 * h, b + 9 * h, **received),
            _police("drugs", *self.month, **received),
            # the last hours: one burglary and a fire a minute ago
            _police("burglary", self.now - 3 * h, self.now - 2 * h, **received),
            make_fire_incident(data=_span(self.now - timedelta(minutes=1)) | received),
        ]


@pytest.fixture
def seeded(settings: Settings, infra: Infra) -> Seeded:
    seed = Seeded(datetime.now(UTC))
    events = [decode_incident(encode(e)) for e in seed.events()]

    async def apply() -> None:
        client = AsyncRedis.from_url(infra.redis_url)
        try:
            await writer_for(client, settings).apply(events)
        finally:
            await client.aclose()

    asyncio.run(apply())
    return seed


def _safer(settings: Settings, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    assert settings.redis_url
    assert ":6379" not in settings.redis_url  # never the developer's Redis
    return subprocess.run(
        [sys.executable, "-m", "cli", "query", "counts", *argv],
        env=child_env(settings),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _json(settings: Settings, tmp_path: Path, *argv: str) -> list[dict[str, Any]]:
    done = _safer(settings, tmp_path, *argv, "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert isinstance(rows, list)
    return rows


def _day(start: datetime) -> list[str]:
    return ["--start", _iso(start), "--end", _iso(start + timedelta(days=1))]


def _residents(area: str) -> int:
    """Census 2011 usual residents of a ward, an LSOA or the borough (summed from LSOAs)."""
    lsoas = load_areas().lsoas
    return sum(x.population for x in lsoas if area in (x.code, x.ward_code, "E08000015"))


def _row(area: str, name: str, key: str, value: str, count: int, **extra: Any) -> dict[str, Any]:
    rate = round(count * 1000 / _residents(area), 2)
    return {
        "area": area,
        "area_name": name,
        key: value,
        "count": count,
        "unplaced": 0,
        "rate_per_1000": rate,
        **extra,
    }


def test_ward_counts_are_exact_with_provisional_by_source(
    settings: Settings, tmp_path: Path, seeded: Seeded
) -> None:
    """A recent day by ward and category: exact counts; police provisional, fire/council not."""
    rows = _json(settings, tmp_path, "--level", "ward", *_day(seeded.a))
    window = {"start": _iso(seeded.a), "end": _iso(seeded.a + timedelta(days=1))}
    assert rows == [
        _row(W1, W1_NAME, "category", "asb-nuisance", 1, provisional=False, **window),
        _row(W1, W1_NAME, "category", "burglary", 2, provisional=True, **window),
        _row(W1, W1_NAME, "category", "call-asb", 1, provisional=False, **window),
        _row(W1, W1_NAME, "category", "robbery", 1, provisional=True, **window),
        _row(W1, W1_NAME, "category", "secondary-fire", 1, provisional=False, **window),
        _row(W2, W2_NAME, "category", "burglary", 1, provisional=True, **window),
    ]


def test_month_only_record_is_unplaced_in_an_old_final_day(
    settings: Settings, tmp_path: Path, seeded: Seeded
) -> None:
    """A 24 h window 100 days back: the month-only record is unplaced, nothing provisional."""
    rows = _json(settings, tmp_path, "--level", "ward", "--source", "police", *_day(seeded.b))
    window = {"start": _iso(seeded.b), "end": _iso(seeded.b + timedelta(days=1))}
    assert rows == [
        _row(W1, W1_NAME, "category", "burglary", 1, provisional=False, **window),
        {**_row(W1, W1_NAME, "category", "drugs", 0, provisional=False, **window), "unplaced": 1},
    ]
    whole_month = _json(
        settings,
        tmp_path,
        "--level",
        "borough",
        "--category",
        "drugs",
        "--start",
        seeded.month[0].isoformat(),
        "--end",
        seeded.month[1].isoformat(),
    )
    assert [(r["area_name"], r["count"], r["unplaced"]) for r in whole_month] == [("Wirral", 1, 0)]


def test_rolling_24h_window_is_provisional_and_reported(
    settings: Settings, tmp_path: Path, seeded: Seeded
) -> None:
    """--window 24h sees the last hours' events as provisional and prints the window."""
    done = _safer(settings, tmp_path, "--level", "borough", "--window", "24h", "--by", "source")
    assert done.returncode == 0, done.stderr
    end = datetime.fromtimestamp((int(seeded.now.timestamp()) // 3600 + 1) * 3600, UTC)
    window = {"start": _iso(end - timedelta(hours=24)), "end": _iso(end)}
    assert json.loads(done.stdout) == [
        _row("E08000015", "Wirral", "source", "fire", 1, provisional=True, **window),
        _row("E08000015", "Wirral", "source", "police", 1, provisional=True, **window),
    ]
    assert f"window [{window['start']}, {window['end']}) UTC" in done.stderr


def test_by_source_sums_and_compare_year(
    settings: Settings, tmp_path: Path, seeded: Seeded
) -> None:
    """--by source sums categories; --compare-year adds the day 364 days earlier."""
    argv = ["--level", "borough", "--by", "source", "--compare-year", *_day(seeded.a)]
    rows = _json(settings, tmp_path, *argv)
    assert [
        (r["source"], r["count"], r["count_year_earlier"], r["unplaced_year_earlier"]) for r in rows
    ] == [("council", 2, 1, 0), ("fire", 1, 0, 0), ("police", 4, 1, 0)]
    assert {r["area_name"] for r in rows} == {"Wirral"}
    kinds = _json(settings, tmp_path, "--level", "borough", "--by", "kind", *_day(seeded.a))
    assert [(r["kind"], r["count"]) for r in kinds] == [
        ("council.asb", 1),
        ("council.call", 1),
        ("fire.incident", 1),
        ("police.crime", 4),
    ]


HEADER = ["area", "area_name", "source", "count", "unplaced", "provisional", "rate_per_1000"]
HEADER += ["start", "end"]


def test_csv_has_header_and_rows(settings: Settings, tmp_path: Path, seeded: Seeded) -> None:
    """CSV output: the JSON columns as a header row, booleans as true/false."""
    argv = ["--level", "ward", "--by", "source", "--area", W2, "--format", "csv"]
    done = _safer(settings, tmp_path, *argv, *_day(seeded.a))
    assert done.returncode == 0, done.stderr
    lines = list(csv.reader(io.StringIO(done.stdout)))
    start, end = _iso(seeded.a), _iso(seeded.a + timedelta(days=1))
    assert lines == [
        HEADER,
        [W2, W2_NAME, "police", "1", "0", "true", str(round(1000 / _residents(W2), 2)), start, end],
    ]


def test_table_format_prints_rows(settings: Settings, tmp_path: Path, seeded: Seeded) -> None:
    """The table format shows area names and counts for people."""
    done = _safer(settings, tmp_path, "--level", "ward", "--format", "table", *_day(seeded.a))
    assert done.returncode == 0, done.stderr
    assert "Eastham" in done.stdout
    assert "secondary-fire" in done.stdout


def test_end_before_start_exits_2(settings: Settings, tmp_path: Path) -> None:
    """An end before the start is refused with exit code 2 and a clear message."""
    done = _safer(
        settings, tmp_path, "--level", "ward", "--start", "2025-06-02", "--end", "2025-06-01"
    )
    assert done.returncode == 2
    assert "error: end 2025-05-31T23:00:00Z is not after start" in done.stderr
