"""The personal-data detector of the event contract's boundary (``schemas.pii``): real
personal data of every kind is found, the project's own real data never is."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
import uuid
from collections.abc import Iterable, Iterator
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geography.areas import load_areas
from schemas import categories
from schemas.pii import PersonalData, find_personal_data
from tests.builders import (
    make_control_room_call,
    make_council_asb,
    make_fire_incident,
    make_police_incident,
)

ROOT = Path(__file__).resolve().parents[2]
POINTS = ROOT / "geography" / "data" / "wirral_police_points.csv"
DATA = ROOT / "tests" / "data"

PHONES = [
    "07700 900123",
    "07700900123",
    "07700 900 123",
    "+44 7700 900123",
    "+447700900123",
    "+44 (0)7700 900123",
    "0044 7700 900123",
    "(0151) 666 1234",
    "0151-666-1234",
    "0151 666 1234",
    "020 7946 0018",
    "(020) 7946 0018",
    "01632 960123",
    "0800 123 4567",
    "0800 123 456",
    "0845 600 0000",
    "0300 123 4567",
]
EMAILS = ["jane.smith@example.org", "j.smith+asb@council.gov.uk", "JOHN_99@Example.CO.UK"]
NI_NUMBERS = ["AB 12 34 56 C", "AB123456C", "QQ123456C", "qq 12 34 56 a", "JG103759A"]
POSTCODES = ["CH41 5LH", "ch415lh", "CH41 5lh", "L1 8JQ", "M1 1AE", "SW1A 1AA", "EC1A 1BB"]
HOUSE_NUMBERS = [
    "12 Grange Road",
    "12a Grange Road",
    "12-14 Grange Road",
    "12, Grange Road",
    "12 grange road",
    "Flat 3 Argyle Street",
    "Flat 3b Argyle Street",
    "flat 3b",
    "Apartment 12, Hamilton Square",
    "On or near 12 Grange Road",
    "On or near 12 May Street",
]
NAMES = [
    "On or near John Smith",
    "John Smith",
    "Mary Jones",
    "Mohammed Khan",
    "Olivia Brown-Hughes",
    "Mary-Jane Watson",
    "JOHN SMITH",
    "Mrs Brown",
    "Mr Patel",
    "Mr. Patel",
    "Dr Smith",
    "On or near Dr Smith",
    "Ms Ahmed",
    "Mx Taylor",
    "Miss Scarlet",
    "Mary Street John Smith",
]
CONTROLLED_NON_NAMES = [
    "On or near John Street",
    "Mary Street",
    "St John's Road",
    "On or near St John's Road",
    "Victoria Park",
    "On or near Jane Austen Close",
    "On or near Ben Nevis Road",
    "Dr Johnson Avenue",
    "Lord Street",
    "Bidston and St James",
    "Grange Dr North",
    "On or near Supermarket",
    "On or near Parking Area",
    "On or near Sports/recreation Area",
    "On or near Petrol Station",
    "On or near Further/Higher Educational Building",
    "On or near Brandon",
    "On or near John",
]


def offenders(texts: Iterable[str], *, controlled: bool = False) -> dict[str, PersonalData]:
    """The texts the detector flags, with the kind it reported (empty: none flagged)."""
    return {
        text: kind
        for text in texts
        if (kind := find_personal_data(text, controlled=controlled)) is not None
    }


@cache
def wirral_points() -> frozenset[str]:
    with POINTS.open(newline="", encoding="utf-8") as handle:
        return frozenset(row["place"] for row in csv.DictReader(handle))


@cache
def merseyside_street_crimes() -> tuple[dict[str, str], ...]:
    rows: list[dict[str, str]] = []
    for path in sorted(DATA.glob("20*-merseyside-street.csv.gz")):
        with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return tuple(rows)


def string_fields(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf of an event, with its dotted path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from string_fields(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from string_fields(item, path)
    elif isinstance(value, str):
        yield path, value


def test_every_wirral_police_point_passes_as_a_controlled_place() -> None:
    """Every police.uk anonymised point the project ships is a controlled place, not PII."""
    places = wirral_points()
    assert len(places) > 2000
    assert offenders(places, controlled=True) == {}


def test_every_merseyside_street_crime_value_passes() -> None:
    """Real police.uk street-crime rows (locations, LSOAs, types, outcomes) are not PII."""
    rows = merseyside_street_crimes()
    locations = {row["Location"] for row in rows}
    assert len(locations) > 10000
    assert offenders(locations, controlled=True) == {}
    others = {row[c] for row in rows for c in ("Month", "LSOA code", "LSOA name", "Crime type")}
    others |= {row["Last outcome category"] for row in rows}
    assert offenders(others, controlled=True) == {}


def test_police_crime_ids_never_match() -> None:
    """64-hex police crime ids, bare or as record keys, never read as phones or NI numbers."""
    ids = {row["Crime ID"] for row in merseyside_street_crimes() if row["Crime ID"]}
    assert len(ids) > 50000
    assert offenders(ids) == {}
    assert offenders(f"police:merseyside:{crime_id}" for crime_id in ids) == {}


def test_ward_lsoa_and_authority_names_pass() -> None:
    """The partnership's ward, LSOA and authority names (Wirral and Liverpool City Region)."""
    areas = load_areas()
    names = set(areas.ward_names.values()) | set(areas.authority_names.values())
    names |= {lsoa.name for lsoa in areas.lsoas} | set(areas.ward_names)
    assert "Bidston and St James" in names
    wards = json.loads(
        gzip.decompress((DATA / "liverpool_city_region_wards_2025.geojson.gz").read_bytes())
    )
    for feature in wards["features"]:
        names |= {v for v in feature["properties"].values() if isinstance(v, str)}
    with (DATA / "ons_lsoa11_to_ward2019_lookup_merseyside.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            names |= {row["LSOA11NM"], row["WD19NM"], row["LAD19NM"]}
    assert len(names) > 1000
    assert offenders(names, controlled=True) == {}


def test_category_slugs_and_display_names_pass() -> None:
    """Every slug of every contract enum and every category display name."""
    slugs = {
        member.value
        for enum in vars(categories).values()
        if isinstance(enum, type) and issubclass(enum, StrEnum) and enum is not StrEnum
        for member in enum
    }
    assert {"burglary", "asb-nuisance", "0-9", "35+"} <= slugs
    texts = slugs | set(categories.CATEGORY_NAMES.values())
    assert offenders(texts, controlled=True) == {}


def test_builder_events_pass_in_every_string_field() -> None:
    """Every string field of the test builders' events (ids, keys, times, slugs, place)."""
    builders = (make_police_incident, make_council_asb, make_control_room_call, make_fire_incident)
    flagged: dict[str, PersonalData] = {}
    for _ in range(200):
        for build in builders:
            for path, text in string_fields(build()):
                if (
                    kind := find_personal_data(text, controlled=path.endswith("place"))
                ) is not None:
                    flagged[f"{path}={text}"] = kind
    assert flagged == {}


def test_identifier_shapes_pass() -> None:
    """uuid4 hex ids, 32-hex pseudonyms, adapters' key shapes, dates and timestamps."""
    rng = random.Random(20181203)
    texts: set[str] = set()
    for n in range(5000):
        hex32 = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        digest = hashlib.sha256(hex32.encode()).hexdigest()
        texts |= {
            hex32,
            str(uuid.UUID(hex32)),
            f"council:wirral:asb:{hex32[:16]}",
            f"police:merseyside:asb:{digest[:40]}:{n % 7 + 1}",
            f"police:merseyside:search:{digest[:40]}:1",
            f"fire:merseyside:{rng.randrange(10**5, 10**9)}",
            f"council:wirral-council:call:{rng.randrange(10**5, 10**7)}",
        }
    texts |= {"2018-03", "2026-11", "2026-11-20T21:30:00+00:00", "2026-11-20 21:30:00.123456"}
    texts |= {"E01007110", "E05000956", "E08000015", "E47000004", "v1", "1", "version-2"}
    assert offenders(texts) == {}


def test_simple_words_pass() -> None:
    """Plain words and short phrases, controlled or not."""
    words = ["burglary", "police", "Wirral", "Birkenhead", "cctv", "phone", "youth", "On or near"]
    words += ["Anti-social behaviour", "Investigation complete; no suspect identified", ""]
    assert offenders(words, controlled=True) == {}


@pytest.mark.parametrize(
    ("texts", "kind"),
    [
        (PHONES, PersonalData.PHONE),
        (EMAILS, PersonalData.EMAIL),
        (NI_NUMBERS, PersonalData.NI_NUMBER),
        (POSTCODES, PersonalData.POSTCODE),
        (HOUSE_NUMBERS, PersonalData.HOUSE_NUMBER),
    ],
    ids=["phone", "e-mail", "ni-number", "postcode", "house-number"],
)
def test_every_kind_is_found_in_several_forms(texts: list[str], kind: PersonalData) -> None:
    """Each kind in several real-looking forms, alone, in a sentence and as a key segment."""
    for text in texts:
        assert find_personal_data(text) is kind, text
        assert find_personal_data(f"Reported by {text} today", controlled=True) is kind, text
    for text in texts:
        if kind is not PersonalData.HOUSE_NUMBER:
            compact = text.replace(" ", "")
            assert find_personal_data(f"council:wirral:asb:{compact}") is kind, compact


@pytest.mark.parametrize("text", NAMES)
def test_person_names_are_found_in_controlled_fields(text: str) -> None:
    """A title or common given name followed by a capitalised non-place word is a name."""
    assert find_personal_data(text, controlled=True) is PersonalData.NAME


@pytest.mark.parametrize("text", NAMES)
def test_names_are_only_looked_for_in_controlled_fields(text: str) -> None:
    """Outside a controlled field, person-name patterns are not reported."""
    assert find_personal_data(text) is None


@pytest.mark.parametrize("text", CONTROLLED_NON_NAMES)
def test_streets_named_after_people_saints_and_points_pass(text: str) -> None:
    """A given name in a street, a saint, Dr for Drive and police.uk point names are allowed."""
    assert find_personal_data(text, controlled=True) is None


def test_a_name_with_a_phone_number_is_flagged() -> None:
    """The first kind found is reported: a phone is looked for before a name."""
    text = "On or near John Smith 07700 900123"
    assert find_personal_data(text, controlled=True) is PersonalData.PHONE
    assert find_personal_data("On or near John Smith", controlled=True) is PersonalData.NAME


def test_a_phone_number_as_a_key_segment_is_found() -> None:
    """A ``:``-separated key segment holding a phone number is found."""
    assert find_personal_data("council:wirral:asb:07700900123") is PersonalData.PHONE
    assert find_personal_data("council:wirral:asb:07700900123:2") is PersonalData.PHONE


@pytest.mark.parametrize(
    "text",
    [
        "9f0c07700900123e1",
        "a07700900123",
        "07700900123b",
        "aab123456c",
        "ab123456cd",
        "xch415lh",
        "police:merseyside:" + "9f0c07700900123e" * 4,
        "3f2a9c1b07700900123d4e5f6a7b8c9d",
    ],
)
def test_matches_inside_longer_alphanumeric_runs_are_ignored(text: str) -> None:
    """A phone, NI number or postcode inside a longer alphanumeric run is not one."""
    assert find_personal_data(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "12345678901",
        "07700 90012",
        "06123 456789",
        "0412 345 6789",
        "53.0123456789",
        "BG123456C",
        "DA123456A",
        "AB123456E",
        "AB12345C",
        "CH41",
        "CH41 5CI",
        "12 March 2024",
        "1st Avenue",
        "On or near A5027",
        "On or near M53",
        "Wirral 035A",
        "18-24",
        "21:30 Monday",
    ],
)
def test_near_misses_are_not_personal_data(text: str) -> None:
    """Invalid prefixes and lengths, outward codes alone, dates, ordinals and road numbers."""
    assert find_personal_data(text, controlled=True) is None


@given(st.text(), st.booleans())
def test_never_raises_and_returns_a_kind_or_none(text: str, controlled: bool) -> None:
    """Any text whatsoever: no exception, and the answer is None or a PersonalData."""
    found = find_personal_data(text, controlled=controlled)
    assert found is None or isinstance(found, PersonalData)


@given(st.text(alphabet="0123456789abcdef", min_size=16, max_size=64))
def test_hex_runs_never_match(hexes: str) -> None:
    """Hashes and pseudonyms (16 hex characters or more) are never personal data."""
    assert find_personal_data(hexes, controlled=True) is None
    assert find_personal_data(f"police:merseyside:{hexes}:1", controlled=True) is None


@given(
    prefix=st.from_regex(r"[a-z]{1,10}(:[a-z0-9-]{1,10}){0,3}", fullmatch=True),
    phone=st.sampled_from(PHONES),
)
def test_a_phone_in_any_key_is_found(prefix: str, phone: str) -> None:
    """A phone number as the last ``:`` segment of any record key is found."""
    key = f"{prefix}:{phone.replace(' ', '')}"
    assert find_personal_data(key) is PersonalData.PHONE
