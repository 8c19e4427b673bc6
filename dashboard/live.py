"""The Live control-room screen's figures as each role may see them (pure: no Streamlit,
no Redis).

One refresh reads each KPI window with its week- and year-earlier twins and the window
judged against its normal level (``LivePlan``), then computes everything the screen shows
from those rows (``live_figures``): the KPIs, the wards above normal
(``dashboard.above_normal``) and the latest incidents (``dashboard.incidents``: for the
public, counts by category of the latest whole day in their place). Every figure is a
disclosed sum of (ward, category) cells (``dashboard.window_figures``). Ward and category
tables are the Area drill-down's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from aggregates.disclosure import Role, Shown, disclose_sum
from aggregates.periods import YEAR_EARLIER_DAYS, Period, Window
from dashboard.above_normal import AboveNormal, above_normal
from dashboard.incidents import IncidentsView, incidents_view
from dashboard.window_figures import Cells, cells_of, in_sentence, window_for, windows_for
from store.reader import Baselines, WindowRow

ANALYST_KPIS = ("1h", "24h", "7d")
CHANGE_NOTE = "Arrows: the change on the same window a week earlier."
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
        week_change,
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


@dataclass(frozen=True, slots=True)
class LivePlan:
    """What one Live refresh reads: each KPI window with its week- and year-earlier
    comparisons (three spans per KPI), then the chosen window (the map's), which is also
    the window compared with its normal level (``baseline_window``) unless it is longer
    than ``LONGEST_JUDGED``: then the longest window that is not."""

    kpi_windows: tuple[Window, ...]
    selected: Window
    baseline_window: Window

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        compared = [span for w in self.kpi_windows for span in comparison_spans(w)]
        return (*compared, self.baseline_window.span)


LONGEST_JUDGED = 28 * 24
"""Hours of the longest window judged against its normal level: the baseline is the same
window in each of the previous weeks, and windows of a year would overlap almost wholly."""


def live_plan(role: Role, now: datetime, period: str | Period) -> LivePlan:
    choices = windows_for(role, now)
    windows = {w.slug: w for w in choices}
    selected = window_for(role, now, period)
    judged = [w for w in choices if w.end - w.start <= LONGEST_JUDGED]
    longest = max(judged, key=lambda w: w.end - w.start)
    baseline = selected if selected.end - selected.start <= LONGEST_JUDGED else longest
    return LivePlan(tuple(windows[slug] for slug in kpi_slugs(role)), selected, baseline)


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """Everything the Live page shows from one refresh, as the role may see it."""

    kpis: list[Kpi]
    unusual: AboveNormal | None  # None: the baseline could not be read
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
        unusual = above_normal(cells[-1], baseline, sources, ward_names, role, needed)
    return LiveFigures(
        kpis,
        unusual,
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
    label = in_sentence(plan.kpi_windows[0].label)
    headings = (
        f"Latest incidents (newest first, up to {rows})",
        f"Latest day by category — {label}",
    )
    return incidents_view(latest, first, ward_names, sources, role, headings, rows)
