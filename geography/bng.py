"""WGS84 latitude/longitude <-> British National Grid (OSGB36, EPSG:27700), and 250 m cells.

Pure Python, after Ordnance Survey's "A guide to coordinate systems in Great Britain":
WGS84 lat/lon -> ECEF cartesian (GRS80/WGS84 ellipsoid) -> 7-parameter Helmert to OSGB36
-> lat/lon on Airy 1830 -> Transverse Mercator (F0 0.9996012717, origin 49°N 2°W,
false origin E 400000, N -100000). The Helmert step is good to a few metres (OSTN15 would
be needed for centimetres), which is ample for grid cells. ``to_wgs84`` is the inverse:
inverse TM and inverse Helmert, then refined against ``to_bng`` so the round trip closes
to millimetres.

Grid cells
----------
A cell is named by the BNG easting and northing, in whole metres, of its south-west
corner: ``E{easting}N{northing}``, no padding, e.g. ``"E332750N388500"`` is the 250 m cell
covering easting 332750 <= E < 333000 and northing 388500 <= N < 388750. Cells are
half-open [x, x + size): the corner is ``floor(coordinate / size) * size``, so a point
exactly on a west or south edge belongs to that cell. The name does not carry the size;
pass the same ``size_m`` to ``grid_cell`` and ``cell_bounds``.

Points outside the national grid's extent (easting 0-700000 m, northing 0-1300000 m, or
far from Great Britain in lat/lon) raise ``ValueError``.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

Vec3 = tuple[float, float, float]

POINT_CACHE = 16_384
"""Points remembered per process by the per-point caches (grid cell, point-in-polygon): the
hot published points (police.uk snaps crimes to a few thousand anonymised points per
force) stay cached, while a long bulk rebuild of unique points cannot grow a process by
tens of MiB (65,536 entries had cost ~35 MiB per process)."""

# Ellipsoids: (semi-major axis a, semi-minor axis b) in metres.
WGS84_AB = (6378137.000, 6356752.314245)
AIRY1830_AB = (6377563.396, 6356256.909)

# Helmert WGS84 -> OSGB36: tx, ty, tz (m), scale (ppm), rx, ry, rz (arcseconds).
HELMERT_TO_OSGB36 = (-446.448, 125.157, -542.060, 20.4894, -0.1502, -0.2470, -0.8421)

# National Grid Transverse Mercator projection.
F0 = 0.9996012717
LAT0 = math.radians(49.0)
LON0 = math.radians(-2.0)
E0 = 400000.0
N0 = -100000.0

MAX_EASTING = 700000.0
MAX_NORTHING = 1300000.0
# Coarse lat/lon guard (generously around the grid) so the TM series are never fed nonsense.
LAT_RANGE = (45.0, 65.0)
LON_RANGE = (-15.0, 8.0)

_CELL = re.compile(r"E(\d+)N(\d+)")


def to_bng(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 degrees -> (easting, northing) in metres on the British National Grid."""
    _check_latlon(lat, lon)
    easting, northing = _forward(lat, lon)
    _check_grid(easting, northing)
    return easting, northing


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """(easting, northing) on the British National Grid -> WGS84 (lat, lon) in degrees."""
    _check_grid(easting, northing)
    phi, lam = unproject(easting, northing)
    xyz = _to_cartesian(phi, lam, AIRY1830_AB)
    phi, lam = _to_latlon(_helmert(xyz, _inverse(HELMERT_TO_OSGB36)), WGS84_AB)
    return _refine(easting, northing, math.degrees(phi), math.degrees(lam))


@lru_cache(maxsize=POINT_CACHE)
def grid_cell(lat: float, lon: float, size_m: int = 250) -> str:
    """Name of the ``size_m`` grid cell containing a WGS84 point (south-west corner); cached,
    since published points repeat (police.uk snaps every crime to an anonymised point)."""
    easting, northing = to_bng(lat, lon)
    return f"E{int(easting // size_m) * size_m}N{int(northing // size_m) * size_m}"


def on_grid(lat: float, lon: float) -> bool:
    """Whether a WGS84 point lies on the British National Grid (the contract's lat/lon box
    is wider: its south-eastern corner is off the grid, in the Channel)."""
    try:
        to_bng(lat, lon)
    except ValueError:
        return False
    return True


def cell_bounds(cell: str, size_m: int = 250) -> tuple[float, float, float, float]:
    """(min_easting, min_northing, max_easting, max_northing) of a cell; max is exclusive."""
    match = _CELL.fullmatch(cell)
    if match is None:
        raise ValueError(f"not a grid cell name: {cell!r}")
    easting, northing = int(match[1]), int(match[2])
    if easting % size_m or northing % size_m:
        raise ValueError(f"{cell!r} is not a corner of the {size_m} m grid")
    _check_grid(easting, northing)
    return float(easting), float(northing), float(easting + size_m), float(northing + size_m)


def project(phi: float, lam: float) -> tuple[float, float]:
    """OSGB36 (Airy 1830) lat/lon in radians -> (easting, northing): the OS TM formulae."""
    nu, rho, eta2 = _radii(phi)
    sin, cos, tan = math.sin(phi), math.cos(phi), math.tan(phi)
    c2, t2 = cos * cos, tan * tan
    dl = lam - LON0
    n_terms = (
        _meridian_arc(phi) + N0,
        nu / 2 * sin * cos,
        nu / 24 * sin * c2 * cos * (5 - t2 + 9 * eta2),
        nu / 720 * sin * c2 * c2 * cos * (61 - 58 * t2 + t2 * t2),
    )
    e_terms = (nu * cos, nu / 6 * c2 * cos * (nu / rho - t2))
    e5 = nu / 120 * c2 * c2 * cos * (5 - 18 * t2 + t2 * t2 + 14 * eta2 - 58 * t2 * eta2)
    northing = n_terms[0] + n_terms[1] * dl**2 + n_terms[2] * dl**4 + n_terms[3] * dl**6
    return E0 + e_terms[0] * dl + e_terms[1] * dl**3 + e5 * dl**5, northing


def unproject(easting: float, northing: float) -> tuple[float, float]:
    """(easting, northing) -> OSGB36 (Airy 1830) lat/lon in radians: inverse OS TM."""
    phi = _footpoint_latitude(northing)
    nu, rho, eta2 = _radii(phi)
    sec, tan = 1 / math.cos(phi), math.tan(phi)
    t2, de = tan * tan, easting - E0
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * t2 + 45 * t2 * t2)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * t2)
    xii = sec / (120 * nu**5) * (5 + 28 * t2 + 24 * t2 * t2)
    xiia = sec / (5040 * nu**7) * (61 + 662 * t2 + 1320 * t2 * t2 + 720 * t2**3)
    phi_out = phi - vii * de**2 + viii * de**4 - ix * de**6
    return phi_out, LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7


def _forward(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 degrees -> BNG metres, unchecked: cartesian, Helmert to OSGB36, project."""
    xyz = _to_cartesian(math.radians(lat), math.radians(lon), WGS84_AB)
    return project(*_to_latlon(_helmert(xyz, HELMERT_TO_OSGB36), AIRY1830_AB))


def _radii(phi: float) -> tuple[float, float, float]:
    """Airy 1830 radii of curvature (nu, rho) scaled by F0, and eta squared, at ``phi``."""
    a, b = AIRY1830_AB
    e2 = 1 - (b * b) / (a * a)
    s2 = math.sin(phi) ** 2
    nu = a * F0 / math.sqrt(1 - e2 * s2)
    rho = a * F0 * (1 - e2) / (1 - e2 * s2) ** 1.5
    return nu, rho, nu / rho - 1


def _meridian_arc(phi: float) -> float:
    """Meridional arc M from the true origin's latitude to ``phi`` on Airy 1830, scaled by F0."""
    a, b = AIRY1830_AB
    n = (a - b) / (a + b)
    n2, n3 = n * n, n * n * n
    d, s = phi - LAT0, phi + LAT0
    return (
        b
        * F0
        * (
            (1 + n + 5 / 4 * n2 + 5 / 4 * n3) * d
            - (3 * n + 3 * n2 + 21 / 8 * n3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n2 + 15 / 8 * n3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def _footpoint_latitude(northing: float) -> float:
    """Latitude whose meridional arc equals ``northing - N0`` (iterated to 0.01 mm)."""
    a = AIRY1830_AB[0]
    phi = (northing - N0) / (a * F0) + LAT0
    for _ in range(20):
        residual = northing - N0 - _meridian_arc(phi)
        if abs(residual) < 1e-5:
            break
        phi += residual / (a * F0)
    return phi


def _to_cartesian(phi: float, lam: float, ellipsoid: tuple[float, float]) -> Vec3:
    """Geodetic lat/lon (radians, height 0) -> earth-centred cartesian x, y, z in metres."""
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return (
        nu * math.cos(phi) * math.cos(lam),
        nu * math.cos(phi) * math.sin(lam),
        (1 - e2) * nu * math.sin(phi),
    )


def _to_latlon(xyz: Vec3, ellipsoid: tuple[float, float]) -> tuple[float, float]:
    """Earth-centred cartesian -> geodetic lat/lon in radians (height discarded), iterated."""
    x, y, z = xyz
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        nxt = math.atan2(z + e2 * nu * math.sin(phi), p)
        if abs(nxt - phi) < 1e-12:
            return nxt, math.atan2(y, x)
        phi = nxt
    return phi, math.atan2(y, x)


def _helmert(xyz: Vec3, params: tuple[float, ...]) -> Vec3:
    """Apply a 7-parameter (position vector, small-angle) Helmert transform."""
    x, y, z = xyz
    tx, ty, tz, s_ppm, rx_s, ry_s, rz_s = params
    s = 1 + s_ppm * 1e-6
    rx, ry, rz = (math.radians(r / 3600) for r in (rx_s, ry_s, rz_s))
    return (
        tx + s * x - rz * y + ry * z,
        ty + rz * x + s * y - rx * z,
        tz - ry * x + rx * y + s * z,
    )


def _inverse(params: tuple[float, ...]) -> tuple[float, ...]:
    """First-order inverse of a Helmert transform (all parameters negated)."""
    return tuple(-p for p in params)


def _refine(easting: float, northing: float, lat: float, lon: float) -> tuple[float, float]:
    """Polish an approximate inverse by re-projecting and correcting, so round trips close."""
    for _ in range(3):
        e, n = _forward(lat, lon)
        de, dn = easting - e, northing - n
        if abs(de) < 1e-4 and abs(dn) < 1e-4:
            break
        metres_per_degree = 111_200.0
        lat += dn / metres_per_degree
        lon += de / (metres_per_degree * math.cos(math.radians(lat)))
    return lat, lon


def _check_latlon(lat: float, lon: float) -> None:
    """Refuse lat/lon (degrees) clearly away from Great Britain, or not finite."""
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        raise ValueError(f"({lat}, {lon}) is outside the British National Grid")


def _check_grid(easting: float, northing: float) -> None:
    """Refuse coordinates outside the national grid's extent (or not finite)."""
    if not (0 <= easting <= MAX_EASTING and 0 <= northing <= MAX_NORTHING):
        raise ValueError(f"(E {easting}, N {northing}) is outside the British National Grid")
