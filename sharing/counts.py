"""Aggregate counts under a subscriber's agreement (pure): what the gateway's ``GET /v1/counts``
serves and what an aggregates-level subscriber's topic carries (``streams.subscribers``).

- **Windows**: the fixed ones only (``aggregates.periods.FIXED_WINDOWS``: yesterday, 7, 28
  and 365 whole local days up to the last midnight), as the dashboard gives partners — a
  count changes when a day closes or late records arrive, never one incident at a time.
  An agreed delay moves the window's end back by it.
- **Levels**: ``ward``, and ``borough`` where the agreement covers whole authorities; with
  precision ``none`` only ``borough``. Finer counts than wards are not served (as the
  dashboard stops partners at wards: finer cells would let ward figures be differenced).
- **What is counted**: the agreed sources, kinds and categories, in the agreed areas.
- **Small counts** (``disclosure``): ``protected`` — the dashboard's: a ward cell from 1 to
  4 is "fewer than 5", others rounded to 5, and a borough is the protected sum of its ward
  cells (``aggregates.disclosure.disclose_sum``), so no combination of figures pins down a
  small count; ``ons`` — under 10 suppressed, others rounded to 5, a borough from its
  ward cells with each suppressed cell counted as 5.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aggregates.disclosure import ROUNDING, SUM_CAVEAT, Role, disclose, disclose_sum, round_to
from geography.areas import Areas
from schemas.calendar import LONDON
from schemas.categories import CATEGORY_KIND
from sharing.agreements import PARTNERSHIP, Agreement, Disclosure, Precision

ONS_THRESHOLD = 10
ONS_IMPUTED = 5
ONS_CAVEAT = (
    f"Counts under {ONS_THRESHOLD} are suppressed and others rounded to the nearest "
    f"{ROUNDING}; a borough counts each suppressed ward as {ONS_IMPUTED}."
)
LEVELS = ("ward", "borough")


class NotAgreedError(Exception):
    """The request asks for more than the agreement allows."""


@dataclass(frozen=True, slots=True)
class Cell:
    area: str
    category: str
    count: int


def levels_allowed(agreement: Agreement, areas: Areas) -> tuple[str, ...]:
    whole = PARTNERSHIP in agreement.areas or all(
        a in areas.authority_names for a in agreement.areas
    )
    ward = () if agreement.precision is Precision.NONE else ("ward",)
    return (*ward, *(("borough",) if whole else ()))


def agreed_cells(rows: Iterable[Any], agreement: Agreement, wards: frozenset[str]) -> list[Cell]:
    """Ward-level rows (``store.reader.WindowRow``) the agreement covers, as cells."""
    kinds = agreement.allowed_kinds
    categories = None if agreement.categories is None else set(agreement.categories)
    cells = []
    for row in rows:
        kind = CATEGORY_KIND.get(row.category)
        if kind is None or kind not in kinds or row.area not in wards:
            continue
        if categories is not None and row.category not in categories:
            continue
        if row.count:
            cells.append(Cell(row.area, row.category, int(row.count)))
    return cells


def agreed_change(change: dict[str, Any], agreement: Agreement, wards: frozenset[str]) -> bool:
    """Whether an aggregate change (``schemas.aggregates.AggregateChange`` as JSON) is a
    ward's day count the agreement covers (the finest cell an aggregates feed keeps)."""
    if change.get("level") != "ward" or change.get("grain") != "day":
        return False
    category = change.get("category")
    kind = CATEGORY_KIND.get(str(category))
    if kind is None or kind not in agreement.allowed_kinds or change.get("area") not in wards:
        return False
    return agreement.categories is None or category in agreement.categories


def closed_before(now: datetime, delay_hours: float = 0.0) -> str:
    """The first local day (YYYY-MM-DD) that is not closed yet, ``delay_hours`` ago: days
    before it may be shared."""
    return (now - timedelta(hours=delay_hours)).astimezone(LONDON).date().isoformat()


def day_figures(
    cells: list[Cell], agreement: Agreement, areas: Areas
) -> list[tuple[str, dict[str, Any]]]:
    """One closed day's figures at every level the agreement allows, disclosed."""
    return [
        (level, row)
        for level in levels_allowed(agreement, areas)
        for row in disclosed(cells, level, agreement, areas)
    ]


def disclosed(
    cells: list[Cell], level: str, agreement: Agreement, areas: Areas
) -> list[dict[str, Any]]:
    """The cells at ``level`` (ward, or borough from its wards) as the agreement discloses
    them: ``count`` (None when suppressed) and ``shown`` (the text to print)."""
    if level == "ward":
        groups = {(c.area, c.category): [c.count] for c in cells}
    else:
        merged: dict[tuple[str, str], list[int]] = defaultdict(list)
        for c in cells:
            merged[(areas.ward_authority[c.area], c.category)].append(c.count)
        groups = dict(merged)
    out = []
    for (area, category), counts in sorted(groups.items()):
        count, shown = _shown(counts, agreement.disclosure)
        name = areas.ward_name(area) if level == "ward" else areas.authority_names.get(area, area)
        out.append(
            {"area": area, "area_name": name, "category": category, "count": count, "shown": shown}
        )
    return out


def caveat(agreement: Agreement) -> str:
    return SUM_CAVEAT if agreement.disclosure is Disclosure.PROTECTED else ONS_CAVEAT


def _shown(counts: list[int], disclosure: Disclosure) -> tuple[int | None, str]:
    if disclosure is Disclosure.PROTECTED:
        figure = (
            disclose_sum(counts, Role.PARTNER)
            if len(counts) > 1
            else disclose(counts[0], Role.PARTNER)
        )
        return figure.value, figure.text
    total = (
        sum(c if c >= ONS_THRESHOLD else ONS_IMPUTED for c in counts)
        if len(counts) > 1
        else counts[0]
    )
    if total < ONS_THRESHOLD:
        return None, f"<{ONS_THRESHOLD}"
    rounded = round_to(total)
    return rounded, f"{rounded:,}"
