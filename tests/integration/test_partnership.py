"""Another partnership by configuration alone: with the Liverpool City Region partnership
file (boundary and population files, no code change), a shared Merseyside month fed through
``safer feed police``, the real broker and worker lands in that region's wards: every
record with an LSOA code of the region is in a ward of its own local authority, ward totals
add up to the authority totals, and both equal an independent pandas count."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
from redis import Redis

from feeds.adapters.police import month_interval
from geography.areas import load_areas
from safer.settings import Settings
from store.reader import StoreReader
from tests.data_files import DATA, geojson_properties, police_months
from tests.integration.test_police_feed import month_window
from tests.integration.worker import counter_difference, running_worker, safer_cli, wait_for

LCR = DATA / "liverpool_city_region.toml"


def _query(settings: Settings, level: str, month: str) -> list[dict[str, object]]:
    start, end = month_interval(month)
    done = safer_cli(
        settings,
        "query",
        "counts",
        "--level",
        level,
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_liverpool_city_region_by_configuration_alone(
    settings: Settings, redis_client: Redis, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"partnership": LCR})
    source = police_months(2018)[0]
    month = source.name[:7]
    lsoa_lad = {
        code: p["LADCD_ACTIVE"]
        for code, p in geojson_properties(
            "liverpool_city_region_lsoa_2011.geojson.gz", "LSOA11CD"
        ).items()
    }
    ward_properties = geojson_properties("liverpool_city_region_wards_2025.geojson.gz", "WD25CD")
    ward_lad = {code: p["LAD25CD"] for code, p in ward_properties.items()}
    lad_names = {p["LAD25CD"]: p["LAD25NM"] for p in ward_properties.values()}
    # independently: the CSV's rows per authority of their LSOA (the publisher's assignment)
    crimes = pd.read_csv(source, dtype=str)
    in_region = crimes[crimes["LSOA code"].isin(lsoa_lad.keys())]
    expected = Counter(dict(in_region["LSOA code"].map(lsoa_lad).value_counts().items()))
    assert len(expected) >= 5, "Merseyside Police covers five of the region's six authorities"
    outside = len(crimes) - len(in_region)

    areas = load_areas(LCR)
    for lsoa in in_region["LSOA code"].unique():  # every record's ward is of its authority
        assert ward_lad[areas.lsoa_ward[lsoa]] == lsoa_lad[lsoa], lsoa

    fed = safer_cli(settings, "feed", "police", str(source), timeout_s=300)
    assert fed.returncode == 0, fed.stderr
    reader = StoreReader.of(redis_client, settings)

    def authorities() -> Counter[str]:
        found = Counter[str]()
        for row in reader.window("borough", *month_window(month)).rows:
            found[row.area] += row.count
        return found

    with running_worker(settings, tmp_path) as worker:
        wait_for(
            lambda: authorities() == expected,
            180,
            "the month's counts per authority",
            worker.log_path,
            lambda: counter_difference(authorities(), expected),
        )
        outcomes = reader.live_snapshot().outcomes
    assert outcomes.get("out-of-area|police") == outside, "kept, tagged, counted nowhere"

    _query_adds_up(settings, month, expected, ward_lad, lad_names)


def _query_adds_up(
    settings: Settings,
    month: str,
    expected: Counter[str],
    ward_lad: dict[str, str],
    lad_names: dict[str, str],
) -> None:
    """``safer query`` gives the expected authority totals, with their names, and its ward
    rows (named, with a rate) add up to them."""
    areas = load_areas(LCR)
    boroughs = _query(settings, "borough", month)
    by_authority = Counter[str]()
    for row in boroughs:
        by_authority[str(row["area"])] += int(str(row["count"]))
    assert by_authority == expected
    assert {(row["area"], row["area_name"]) for row in boroughs} == {
        (code, lad_names[code]) for code in expected
    }
    wards = _query(settings, "ward", month)
    ward_totals = Counter[str]()
    for row in wards:
        ward_totals[ward_lad[str(row["area"])]] += int(str(row["count"]))
        assert row["area_name"] == areas.ward_names[str(row["area"])]
        assert row["rate_per_1000"] is not None
    assert ward_totals == expected, "ward totals add up to the authority totals"
