"""The Live page's figures as each role may see them (pure: no Streamlit, no Redis).

One refresh reads each KPI window with its week- and year-earlier twins and the chosen
window (``LivePlan``), then computes everything the page shows from those rows
(``live_figures``): the KPIs, the wards above normal (``dashboard.above_normal``), the ward
and category tables of the chosen window and the latest incidents (``dashboard.incidents``:
for the public, counts by category of the latest whole day in their place). Every figure
is a disclosed sum of (ward, category) cells (``dashboard.window_figures``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from aggregates.disclosure import Role, Shown, disclose_sum
from aggregates.periods import YEAR_EARLIER_DAYS, Window
from dashboard.above_normal import AboveNormal, above_normal
from dashboard.data import (
    CATEGORY_COLUMN,
    INCIDENTS_COLUMN,
    TOTAL_COLUMN,
    WARD_COLUMN,
    category_label,
    parse_sources,
    source_label,
    ward_label,
)
from dashboard.incidents import IncidentsView, incidents_view
from dashboard.window_figures import Cells, cells_of, windows_for
from schemas.categories import CATEGORY_SOURCE
from store.reader import Baselines, WindowRow

ANALYST_KPIS = ("1h", "24h", "7d")
SHARED_KPIS = ("yesterday", "7d", "28d")  # partner and public: fixed windows


def kpi_slugs(role: Role) -> tuple[str, ...]:
    return ANALYST_KPIS if role.exact else SHARED_KPIS


def comparison_spans(window: Window) -> list[tuple[int, int]]:
    """The window, a week earlier and 364 days earlier (weekdays align), as epoch hours."""
    return [w.span for w in (window, window.week_earlier(), window.year_earlier())]


def total(cells: Cells, role: Role) -> Shown:
    return disclose_sum(cells.values(), role)


@dataclass(frozen=True, slots=True)
class Kpi:
    label: str
    value: str
    delta: str | None
    help: str


def kpi(label: str, now: Cells, week: Cells, year: Cells, role: Role) -> Kpi:
    """A window's total with its change against a week and a year earlier; a change is only
    shown between two figures that are shown themselves."""
    shown, before, earlier = total(now, role), total(week, role), total(year, role)
    week_change = _change(shown, before)
    year_change = _change(shown, earlier)
    parts = [
        f"a week earlier: {before.text}" + (f" ({week_change})" if week_change else ""),
        f"a year earlier ({YEAR_EARLIER_DAYS} days): {earlier.text}"
        + (f" ({year_change})" if year_change else ""),
    ]
    return Kpi(
        label,
        shown.text,
        f"{week_change} vs a week earlier" if week_change else None,
        "; ".join(parts),
    )


def kpi_frame(kpis: Sequence[Kpi]) -> pd.DataFrame:
    """The recent-window figures as a table (exports)."""
    return pd.DataFrame(
        [{"Window": k.label, "Incidents": k.value, "Compared with": k.help} for k in kpis],
        columns=["Window", "Incidents", "Compared with"],
    )


def _change(now: Shown, before: Shown) -> str | None:
    if now.value is None or before.value is None:
        return None
    return f"{now.value - before.value:+,}"


def _shown_sort_key(shown: Shown) -> int:
    return -1 if shown.value is None else shown.value


def ward_window_table(
    cells: Cells, ward_names: Mapping[str, str], sources: Sequence[str], role: Role
) -> pd.DataFrame:
    """Per ward: one column per selected source and the total, as ``role`` may see them
    (numbers for the analyst, text for others), largest total first."""
    columns = [source_label(s) for s in parse_sources(sources)]
    by_ward: dict[str, dict[str, list[int]]] = {}
    for (ward, category), n in cells.items():
        source = (
            source_label(CATEGORY_SOURCE[category].value) if category in CATEGORY_SOURCE else ""
        )
        by_ward.setdefault(ward, {}).setdefault(source, []).append(n)
    records: list[dict[str, Any]] = []
    order: list[tuple[int, str]] = []
    for ward, per_source in by_ward.items():
        label = ward_label(ward, ward_names)
        everything = [n for counts in per_source.values() for n in counts]
        whole = disclose_sum(everything, role)
        record: dict[str, Any] = {WARD_COLUMN: label}
        for column in columns:
            part = disclose_sum(per_source.get(column, []), role)
            record[column] = part.value if role.exact else part.text
        record[TOTAL_COLUMN] = whole.value if role.exact else whole.text
        records.append(record)
        order.append((-_shown_sort_key(whole), label))
    ranked = [r for _, r in sorted(zip(order, records, strict=True), key=lambda p: p[0])]
    return pd.DataFrame(ranked, columns=[WARD_COLUMN, *columns, TOTAL_COLUMN])


def category_window_table(cells: Cells, role: Role) -> pd.DataFrame:
    """Per category: the count as ``role`` may see it ('Incidents': a number, or None when
    suppressed) and its text ('Shown'), largest first."""
    per_category: dict[str, list[int]] = {}
    for (_, category), n in cells.items():
        per_category.setdefault(category, []).append(n)
    rows = []
    for category, counts in per_category.items():
        shown = disclose_sum(counts, role)
        rows.append((category_label(category), shown))
    rows.sort(key=lambda r: (-_shown_sort_key(r[1]), r[0]))
    return pd.DataFrame(
        [{CATEGORY_COLUMN: label, INCIDENTS_COLUMN: s.value, "Shown": s.text} for label, s in rows],
        columns=[CATEGORY_COLUMN, INCIDENTS_COLUMN, "Shown"],
    )


def category_export(table: pd.DataFrame, role: Role) -> pd.DataFrame:
    """The category table as the role sees it: numbers for the analyst, text for others."""
    column = INCIDENTS_COLUMN if role.exact else "Shown"
    out = table[[CATEGORY_COLUMN, column]]
    return out.rename(columns={column: INCIDENTS_COLUMN}).reset_index(drop=True)


def category_text(table: pd.DataFrame) -> str:
    """Text alternative of the category chart."""
    if table.empty:
        return "No incidents for the selected sources in this window."
    parts = [f"{r[CATEGORY_COLUMN]}: {r['Shown']}" for r in table.to_dict("records")]
    return "Incidents by category, largest first — " + "; ".join(parts) + "."


@dataclass(frozen=True, slots=True)
class LivePlan:
    """What one Live refresh reads: each KPI window with its week- and year-earlier
    comparisons (three spans per KPI), then the chosen window."""

    kpi_windows: tuple[Window, ...]
    selected: Window

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        compared = [span for w in self.kpi_windows for span in comparison_spans(w)]
        return (*compared, self.selected.span)

    @property
    def baseline_window(self) -> Window:
        """The window compared with its normal level (the middle KPI: 24 h or 7 days)."""
        return self.kpi_windows[1]


def live_plan(role: Role, now: datetime, window_slug: str) -> LivePlan:
    windows = {w.slug: w for w in windows_for(role, now)}
    return LivePlan(tuple(windows[slug] for slug in kpi_slugs(role)), windows[window_slug])


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """Everything the Live page shows from one refresh, as the role may see it."""

    kpis: list[Kpi]
    unusual: AboveNormal | None  # None: the baseline could not be read
    wards: pd.DataFrame
    categories: pd.DataFrame
    incidents: IncidentsView


def live_figures(
    plan: LivePlan,
    rows: Sequence[Iterable[WindowRow]],
    latest: Sequence[Mapping[str, Any]],
    baselines: tuple[Baselines, int] | None,
    sources: Sequence[str],
    ward_names: Mapping[str, str],
    role: Role,
    ticker_rows: int,
) -> LiveFigures:
    """The Live page's figures from the rows of ``plan.spans`` (``StoreReader.live_view``)
    and the baseline of ``plan.baseline_window`` with the weeks of history a verdict needs
    (pure: what a refresh computes after its one Redis read)."""
    cells = [cells_of(r, sources) for r in rows]
    kpis = [
        kpi(w.label, cells[3 * i], cells[3 * i + 1], cells[3 * i + 2], role)
        for i, w in enumerate(plan.kpi_windows)
    ]
    unusual = None
    if baselines is not None:
        baseline, needed = baselines
        unusual = above_normal(cells[3], baseline, sources, ward_names, role, needed)
    chosen = cells[-1]
    return LiveFigures(
        kpis,
        unusual,
        ward_window_table(chosen, ward_names, sources, role),
        category_window_table(chosen, role),
        latest_incidents(plan, latest, cells[0], sources, ward_names, role, ticker_rows),
    )


def latest_incidents(
    plan: LivePlan,
    latest: Sequence[Mapping[str, Any]],
    first: Cells,
    sources: Sequence[str],
    ward_names: Mapping[str, str],
    role: Role,
    rows: int,
) -> IncidentsView:
    """The latest incidents as the role may see them; where it sees no single incidents,
    counts by category of the first KPI window (``first``: its cells; yesterday, the latest
    whole day, outside the analyst role)."""
    label = plan.kpi_windows[0].label.lower()
    headings = (
        f"Latest incidents (newest first, up to {rows})",
        f"Latest day by category — {label}",
    )
    return incidents_view(latest, first, ward_names, sources, role, headings, rows)
