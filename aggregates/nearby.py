"""Recent incidents by point (pure): the index near-repeat and cross-agency rules search
(``alerts.rules``, ``store.nearby``).

Every record version with a point (``location.lat``/``lon``) in an area of ours, whose time
is known to within a day (``MAX_SPAN_HOURS``), is a member of one Redis geo set per category
and epoch week of its start (``store.keys`` ``g{n}:geo:{category}:{week}``), named
``record_key|hour|ward|cause|youth`` (hour: the epoch hour its time starts in; cause: a
fire's recorded cause; youth: youth or adult; each empty when not recorded), so a search
around a point returns which incidents, when and where without reading the records, and an
alert group's incidents of a window can be named (``AlertGroup.holds``). A correction that
moves an incident or changes its category, week or ward moves its member; a cancellation
removes it (the old member is known from what the record contributed, as for repeat
references), so a rebuild builds the same index. The sets are kept ``RETENTION_DAYS``
(longer than any rule's time).

Members are scored as Redis scores a GEOADD (52-bit interleaved geohash, ``geo_score``), so
the writer adds them with ZADD in its one atomic batch and GEOSEARCH reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from aggregates.inputs import AggInput

RETENTION_DAYS = 75
"""How long a week's geo sets are kept after the week: a rule's time and its baseline, four
times as long, just before (``alerts.rules``: 14 + 56 days for burglary)."""
MEMBER_SEP = "|"
"""Record keys never hold it (``schemas.events``: ``[A-Za-z0-9:._-]``)."""
GEO_STEP = 26
"""Bits per coordinate of a Redis geohash (52 in all)."""
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
LON_MIN, LON_MAX = -180.0, 180.0

MAX_SPAN_HOURS = 24
"""Only records whose time is known to within a day are indexed: a police.uk street crime
is known only as its month, and matching it by the hour its month starts would be wrong."""

WEEK_HOURS = 168
GeoKey = tuple[str, str]
"""(category, week) of a geo set: the epoch week (hours // 168) its incidents start in."""


def week_of(hour: int) -> str:
    return str(hour // WEEK_HOURS)


def weeks_between(start: int, end: int) -> list[str]:
    """The weeks of the epoch hours [start, end]."""
    return [str(w) for w in range(start // WEEK_HOURS, end // WEEK_HOURS + 1)]


def week_end_s(week: str) -> int:
    """Unix time at which a week ends."""
    return (int(week) + 1) * WEEK_HOURS * 3600


def _spread(bits: int) -> int:
    """A 32-bit number's bits moved to the even positions of 64 (Redis ``interleave64``)."""
    bits &= 0xFFFFFFFF
    bits = (bits | (bits << 16)) & 0x0000FFFF0000FFFF
    bits = (bits | (bits << 8)) & 0x00FF00FF00FF00FF
    bits = (bits | (bits << 4)) & 0x0F0F0F0F0F0F0F0F
    bits = (bits | (bits << 2)) & 0x3333333333333333
    return (bits | (bits << 1)) & 0x5555555555555555


@lru_cache(maxsize=65536)
def geo_score(lat: float, lon: float) -> int:
    """The score GEOADD gives a point (Redis ``geohashEncodeWGS84``: offsets in 2^26 steps,
    latitude bits in the even positions, longitude bits in the odd ones). On the writer's
    path for every record with a point, so a few shifts and masks, and cached (police.uk
    points repeat)."""
    if not (LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX):
        raise ValueError(f"no geohash for ({lat}, {lon})")
    scale = 1 << GEO_STEP
    lat_bits = int((lat - LAT_MIN) / (LAT_MAX - LAT_MIN) * scale)
    lon_bits = int((lon - LON_MIN) / (LON_MAX - LON_MIN) * scale)
    return _spread(lat_bits) | (_spread(lon_bits) << 1)


@dataclass(frozen=True, slots=True)
class Nearby:
    """One incident found near a point."""

    record_key: str
    hour: int
    ward: str
    category: str
    cause: str = ""
    youth: str = ""

    def value(self, dimension: str | None) -> str:
        """Its value of an alert group's dimension (``alerts.groups``: youth or cause)."""
        return {"cause": self.cause, "youth": self.youth}.get(dimension or "", "")


def indexed(inp: AggInput) -> bool:
    """Whether a record version belongs in the index (its time known to within a day)."""
    return inp.span.end - inp.span.start <= MAX_SPAN_HOURS


def member(record_key: str, inp: AggInput) -> tuple[GeoKey, str] | None:
    """The geo set and member of a record version (None: no ward of ours)."""
    ward = dict(inp.areas).get("ward")
    if not ward:
        return None
    hour = inp.span.start
    dims = dict(inp.dims)
    cause = next(iter(dims.get("cause", ())), "")
    youth = next(iter(dims.get("youth", ())), "")
    text = MEMBER_SEP.join((record_key, str(hour), ward, cause, youth))
    return (inp.category, week_of(hour)), text


def parse_member(category: str, text: str) -> Nearby | None:
    parts = text.rsplit(MEMBER_SEP, 4)
    if len(parts) != 5:
        return None
    record_key, hour, ward, cause, youth = parts
    if not (record_key and hour.lstrip("-").isdigit() and ward):
        return None
    return Nearby(record_key, int(hour), ward, category, cause, youth)


def point_of(location: object) -> tuple[float, float] | None:
    """A canonical location's (lat, lon), when it has a usable one."""
    if not isinstance(location, dict):
        return None
    lat, lon = location.get("lat"), location.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if not (LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX):
        return None
    return float(lat), float(lon)
