"""Statistical disclosure control for figures that leave the analyst role (pure).

Who sees what:

- **analyst**: exact counts, any window, restricted panels (repeat callers and locations),
  and single incidents in full: times to the minute, street or place, LSOA, location type.
- **partner** and **public**: a count from 1 to 4 shows as "fewer than 5"; 0 stays 0; other
  counts are rounded to the nearest 5 (5k+1, 5k+2 down; 5k+3, 5k+4 up). Rounding alone does
  not protect a small count once totals are shown beside their parts: two parts of 4 make
  8, shown as 10, and only 4 + 4 fits (the attack test below found exactly this). So a
  figure made of several cells — a total, a margin, a multi-value filter — is disclosed
  from its *protected* sum (``disclose_sum``): cells of 5 or more at their exact value,
  every cell from 1 to 4 as ``IMPUTED`` (2), then suppressed and rounded like a cell. No
  figure a partner sees depends on the exact value of a count under 5, so no combination of
  figures can recover one; a total is off by at most 2 per small cell it holds (plus the
  rounding), and says so (``SUM_CAVEAT``).
  Windows are the fixed ones of ``aggregates.periods.FIXED_WINDOWS`` only and end at the
  last local midnight, so a refresh changes a partner's figures only when a day closes or
  late records arrive, never one event at a time as they come in.
  A partner sees single incidents (the latest received, the briefing's notable ones) only
  by day, source, category and ward: no time of day, and nothing that places an incident
  finer than its ward (no street or "on or near" place, no LSOA, no point, no location
  type), as the drill-down's figures stop at wards.
- **public**: additionally sees the map only as concentrations (banded, no numbers), and
  no list of single incidents at all: counts by category instead, disclosed as above.

What a role may see of a single incident is ``IncidentDetail`` (``Role.incidents``): pages
and exports ask it, never decide it themselves (``dashboard.incidents`` applies it).

``tests/unit/test_disclosure.py`` plays an attacker who combines every figure a partner can
see — each cell, every margin and the total, before and after late records — and checks
that no count from 1 to 4 can be pinned down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

THRESHOLD = 5
"""Counts from 1 to THRESHOLD - 1 are suppressed; others rounded to a multiple of ROUNDING."""
ROUNDING = 5
IMPUTED = 2
"""What a count from 1 to 4 adds to a partner's total (never its exact value)."""
FEWER = f"fewer than {THRESHOLD}"
SMALL = "small numbers"
"""A partner's total whose protected sum is under THRESHOLD: its cells are all small (its
true value may exceed 4, so "fewer than 5" would not be true)."""
SUM_CAVEAT = (
    f'Counts from 1 to {THRESHOLD - 1} are shown as "{FEWER}" and others rounded to the '
    f"nearest {ROUNDING}; totals count each of those small counts as {IMPUTED}, so that no "
    "small count can be worked out by subtraction."
)


class Role(StrEnum):
    ANALYST = "analyst"
    PARTNER = "partner"
    PUBLIC = "public"

    @property
    def exact(self) -> bool:
        """Whether this role sees exact counts (and arbitrary windows)."""
        return self is Role.ANALYST

    @property
    def restricted(self) -> bool:
        """Whether this role may see restricted panels (repeat callers and locations)."""
        return self is Role.ANALYST

    @property
    def incidents(self) -> IncidentDetail:
        """What this role may see of a single incident."""
        return INCIDENT_DETAIL[self]


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    """How much of a single incident a role may see: whether single incidents are listed
    at all (else counts only), the grain of its times (``time_format``, a ``strftime``
    pattern: to the minute, or the day) and whether anything placing it finer than its ward
    may be shown (street or place, LSOA, point, location type)."""

    listed: bool
    time_format: str
    below_ward: bool

    @property
    def time_grain(self) -> str:
        """'UK time' (to the minute) or 'UK date' (the day only): a column's unit."""
        return "UK time" if "%M" in self.time_format else "UK date"


MINUTE, DAY = "%Y-%m-%d %H:%M", "%Y-%m-%d"
INCIDENT_DETAIL = {
    Role.ANALYST: IncidentDetail(listed=True, time_format=MINUTE, below_ward=True),
    Role.PARTNER: IncidentDetail(listed=True, time_format=DAY, below_ward=False),
    Role.PUBLIC: IncidentDetail(listed=False, time_format=DAY, below_ward=False),
}


@dataclass(frozen=True, slots=True, order=True)
class Shown:
    """A count as a role may see it: ``value`` for sorting, charts and exports (None when
    suppressed), ``text`` for display."""

    value: int | None
    text: str

    @property
    def suppressed(self) -> bool:
        return self.value is None


def round_to(count: int, step: int = ROUNDING) -> int:
    """Nearest multiple of ``step`` (integers: never a tie when step is odd)."""
    return ((count + step // 2) // step) * step


def disclose(count: int, role: Role) -> Shown:
    """``count`` as ``role`` may see it."""
    if role.exact or count == 0:
        return Shown(count, f"{count:,}")
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if count < THRESHOLD:
        return Shown(None, FEWER)
    rounded = round_to(count)
    return Shown(rounded, f"{rounded:,}")


def protected(count: int) -> int:
    """A cell's share of a partner's total: exact from THRESHOLD up, IMPUTED below it."""
    return count if count >= THRESHOLD or count == 0 else IMPUTED


def disclose_sum(cells: Iterable[int], role: Role) -> Shown:
    """A figure made of several cells (the finest the role can see), as ``role`` may see
    it: the exact sum for the analyst, else the protected sum, suppressed and rounded."""
    if role.exact:
        return disclose(sum(cells), role)
    total, n = 0, 0
    for c in cells:  # protected(c) for each cell, inlined: a refresh sums thousands of cells
        if c < 0:
            raise ValueError(f"a count cannot be negative: {c}")
        total += c if c >= THRESHOLD or c == 0 else IMPUTED
        n += 1
    shown = disclose(total, role)
    return Shown(None, SMALL) if shown.suppressed and n > 1 else shown
