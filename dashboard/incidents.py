"""Single incidents as a role may see them: the Live page's latest incidents and the
briefing's notable ones (pure: no Streamlit, no Redis).

What a role may see of a single incident is ``aggregates.disclosure.IncidentDetail``
(``Role.incidents``); this module applies it for every page and export, and no page decides
it for itself. The analyst sees each incident in full (times to the minute, street or
place, location type); a partner its day, source, category and ward only; the public no
list at all: ``incidents_view`` gives counts by category in its place, each a disclosed sum
of (ward, category) cells like every other figure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from aggregates.disclosure import IncidentDetail, Role, Shown, disclose_sum
from dashboard.data import (
    CATEGORY_COLUMN,
    INCIDENTS_COLUMN,
    MISSING,
    UNASSIGNED_WARD,
    category_label,
    local_time,
    source_label,
    ward_label,
)
from dashboard.selection import wanted_categories
from dashboard.window_figures import Cells
from schemas.categories import CATEGORY_SOURCE

BELOW_WARD = ("Place", "Location type")
"""Columns that place an incident finer than its ward."""


def columns(detail: IncidentDetail) -> list[str]:
    """The columns of a list of single incidents as ``detail`` allows."""
    grain = detail.time_grain
    finer = list(BELOW_WARD) if detail.below_ward else []
    return [f"Occurred ({grain})", "Source", "Category", "Ward", *finer, f"Received ({grain})"]


def ticker_record(
    row: Mapping[str, Any], ward_names: Mapping[str, str], detail: IncidentDetail
) -> dict[str, str]:
    """A latest-incidents row (``store.plan.ticker_row``) as ``detail`` allows: its times
    at the allowed grain, and its place and location type only when finer than a ward
    may be shown."""
    grain, pattern = detail.time_grain, detail.time_format
    record = {
        f"Occurred ({grain})": local_time(row["occurred_start"], pattern),
        "Source": source_label(str(row["source"])),
        "Category": category_label(str(row["category"])),
        "Ward": ward_label(row.get("ward") or UNASSIGNED_WARD, ward_names),
    }
    if detail.below_ward:
        record["Place"] = row.get("place") or MISSING
        kind = str(row.get("location_type") or "").replace("-", " ").capitalize()
        record["Location type"] = kind or MISSING
    record[f"Received ({grain})"] = local_time(row["received_at"], pattern)
    return record


def ticker_frame(
    rows: Sequence[Mapping[str, Any]],
    ward_names: Mapping[str, str],
    sources: Sequence[str],
    role: Role,
    limit: int,
) -> pd.DataFrame:
    """The first ``limit`` rows of the selected sources, as ``role`` may see them;
    ``ValueError`` for a role that sees no list of single incidents (``incidents_view``
    gives its counts instead)."""
    detail = role.incidents
    if not detail.listed:
        raise ValueError(f"single incidents are not listed for the {role.value} role")
    wanted = wanted_categories(sources)
    chosen = [r for r in rows if r.get("category") in wanted][:limit]
    records = [ticker_record(r, ward_names, detail) for r in chosen]
    return pd.DataFrame(records, columns=columns(detail))


def counts_frame(
    cells: Cells, role: Role, categories: Collection[str] | None = None
) -> pd.DataFrame:
    """Per category: its source and its count as ``role`` may see it (the disclosed sum of
    its ward cells), largest first. ``categories``: those to show, zeros included (None:
    every category with incidents)."""
    per: dict[str, list[int]] = {c: [] for c in categories or ()}
    for (_, category), n in cells.items():
        if categories is None or category in categories:
            per.setdefault(category, []).append(n)
    shown = [(category, disclose_sum(counts, role)) for category, counts in per.items()]
    shown.sort(key=lambda item: (-_order(item[1]), category_label(item[0])))
    return pd.DataFrame(
        [
            {
                CATEGORY_COLUMN: category_label(category),
                "Source": source_label(_source(category)),
                INCIDENTS_COLUMN: figure.text,
            }
            for category, figure in shown
        ],
        columns=[CATEGORY_COLUMN, "Source", INCIDENTS_COLUMN],
    )


def _order(shown: Shown) -> float:
    """A suppressed count (1 to 4, or a sum of such) sorts between 0 and 5."""
    return 0.5 if shown.value is None else shown.value


def _source(category: str) -> str:
    owner = CATEGORY_SOURCE.get(category)
    return owner.value if owner else ""


@dataclass(frozen=True, slots=True)
class IncidentsView:
    """What a page shows of single incidents: a list (``listed``) or counts by category in
    its place, with the heading, what the role is shown of them (``note``, "" for the
    analyst) and the text for an empty table."""

    listed: bool
    heading: str
    table: pd.DataFrame
    empty_text: str
    note: str = ""


def note(detail: IncidentDetail) -> str:
    """What a role is shown of single incidents, in words (none for the analyst)."""
    if not detail.listed:
        return (
            "Single incidents are not listed in the public view: counts by category, "
            "protected like every figure. Partners and analysts sign in to see more."
        )
    if not detail.below_ward:
        return "Outside the analyst role single incidents show their day and ward only."
    return ""


def incidents_view(
    rows: Sequence[Mapping[str, Any]],
    cells: Cells,
    ward_names: Mapping[str, str],
    sources: Sequence[str],
    role: Role,
    headings: tuple[str, str],
    limit: int,
    categories: Collection[str] | None = None,
) -> IncidentsView:
    """The first ``limit`` of ``rows`` as a list of single incidents (``ticker_frame``)
    when the role may see one, else the counts by category of ``cells`` (``counts_frame``:
    the selected sources' ``categories``, None: all with incidents); ``headings``: the
    list's and the counts'."""
    said = note(role.incidents)
    if role.incidents.listed:
        table = ticker_frame(rows, ward_names, sources, role, limit)
        empty = "No recent incidents for the selection."
        return IncidentsView(True, headings[0], table, empty, said)
    wanted = wanted_categories(sources)
    chosen = wanted if categories is None else wanted & set(categories)
    mine = {key: n for key, n in cells.items() if key[1] in chosen}
    table = counts_frame(mine, role, None if categories is None else chosen)
    return IncidentsView(False, headings[1], table, "No incidents for the selection.", said)
