"""The ``place`` area level: a record's controlled street or place (``Location.place``, such as
police.uk's "On or near …" map points), named so that the name says where it is.

A place code is ``{lsoa}/{lat},{lon}/{name}`` (coordinates to 5 decimals, about 1 m, or
``-`` without coordinates): the LSOA it lies in (so a drill-down lists an LSOA's streets
without a gazetteer), the point the map draws, and its controlled name. Two police.uk points
with the same name ("On or near Supermarket") are different places, so the point is part of
the code. A ``|`` in a name (the hash-field separator, ``store.keys.CELL_SEP``) is written as
``/``; the name is the code's last part, so it may hold ``/``.

Place figures are the analyst's only: below ward level they would let protected ward
figures be differenced (``dashboard.drilldown``).
"""

from __future__ import annotations

from dataclasses import dataclass

PLACE_LEVEL = "place"
_SEP = "/"
_NO_POINT = "-"


@dataclass(frozen=True, slots=True)
class Place:
    lsoa: str
    point: tuple[float, float] | None  # (lat, lon)
    name: str

    @property
    def code(self) -> str:
        where = _NO_POINT if self.point is None else f"{self.point[0]:.5f},{self.point[1]:.5f}"
        return _SEP.join((self.lsoa, where, self.name.replace("|", _SEP)))

    @classmethod
    def parse(cls, code: str) -> Place:
        """The place a code names; ``ValueError`` if it is not a place code."""
        parts = code.split(_SEP, 2)
        if len(parts) != 3 or not parts[0] or not parts[2]:
            raise ValueError(f"not a place code: {code!r}")
        lsoa, where, name = parts
        if where == _NO_POINT:
            return cls(lsoa, None, name)
        try:
            lat, lon = (float(part) for part in where.split(","))
        except ValueError:
            raise ValueError(f"not a place code: {code!r}") from None
        return cls(lsoa, (lat, lon), name)


def place_code(lsoa: str, lat: float | None, lon: float | None, name: str) -> str:
    """The place-level area of a record with a controlled ``name`` in ``lsoa``."""
    point = None if lat is None or lon is None else (round(lat, 5), round(lon, 5))
    return Place(lsoa, point, name).code
