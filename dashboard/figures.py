"""Window figures of the dashboard as each role may see them (pure: no Streamlit, no Redis).

The finest cells any role can see are (ward, category) counts of a window, read through
``store.reader.StoreReader.windows``. Every figure shown — a KPI, a ward's total, a source
column, a category — is a sum of such cells, disclosed with ``dashboard.disclosure``: exact
for the analyst, protected (small cells imputed, then suppressed and rounded) for partner
and public, so that no combination of figures recovers a count under 5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import pandas as pd

from aggregates.periods import Window, fixed_windows, rolling_windows
from aggregates.unusual import how_unusual
from dashboard.data import (
    CATEGORY_COLUMN,
    INCIDENTS_COLUMN,
    MISSING,
    TOTAL_COLUMN,
    UNASSIGNED_WARD,
    WARD_COLUMN,
    category_label,
    local_time,
    parse_sources,
    source_label,
    ward_label,
)
from dashboard.disclosure import SUM_CAVEAT, Role, Shown, disclose_sum
from schemas.categories import CATEGORY_SOURCE
from store.reader import Baseline, WindowRow

Cells = dict[tuple[str, str], int]
"""(ward, category) -> exact count in a window."""
SENSITIVE_CATEGORIES = frozenset({"violent-crime"})
"""police.uk's 'Violence and sexual offences': shown to partner and public like domestic
abuse, by ward and day only."""
WITHHELD = "withheld"


def windows_for(role: Role, now: datetime) -> list[Window]:
    return rolling_windows(now) if role.exact else fixed_windows(now)


ANALYST_KPIS = ("1h", "24h", "7d")
SHARED_KPIS = ("yesterday", "7d", "28d")  # partner and public: fixed windows


def kpi_slugs(role: Role) -> tuple[str, ...]:
    return ANALYST_KPIS if role.exact else SHARED_KPIS


def comparison_spans(window: Window) -> list[tuple[int, int]]:
    """The window, a week earlier and 364 days earlier (weekdays align), as epoch hours."""
    return [w.span for w in (window, window.week_earlier(), window.year_earlier())]


def cells_of(rows: Iterable[WindowRow], sources: Sequence[str]) -> Cells:
    """(ward, category) counts of the selected sources (the rows of a ward-level window)."""
    wanted = _categories_of(tuple(sources))
    cells: Cells = {}
    for row in rows:
        if row.count and row.category in wanted:
            key = (row.area, row.category)
            cells[key] = cells.get(key, 0) + row.count
    return cells


@cache
def _categories_of(sources: tuple[str, ...]) -> frozenset[str]:
    """The categories of the given sources (``cells_of`` runs over tens of thousands of rows)."""
    return frozenset(c for c, source in CATEGORY_SOURCE.items() if source.value in sources)


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
        f"a year earlier (364 days): {earlier.text}" + (f" ({year_change})" if year_change else ""),
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


def caveats(role: Role) -> list[str]:
    """What a reader of these figures must know (shown with exports)."""
    notes = [
        "A window counts an event whose time lies wholly inside it; police.uk records give "
        "only a month, so they appear in month-long and longer windows only.",
        "Police records arrive weeks to months after the event: recent police figures are "
        "provisional and grow.",
    ]
    if not role.exact:
        notes.insert(0, SUM_CAVEAT)
    return notes


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


def sensitive(row: Mapping[str, Any]) -> bool:
    return bool(row.get("domestic_abuse")) or row.get("category") in SENSITIVE_CATEGORIES


def ticker_record(
    row: Mapping[str, Any], ward_names: Mapping[str, str], role: Role
) -> dict[str, str]:
    """A latest-incidents row as ``role`` may see it: for roles other than analyst, domestic
    abuse and violence and sexual offences show only their ward and day."""
    ward = ward_label(row.get("ward") or UNASSIGNED_WARD, ward_names)
    hidden = not role.restricted and sensitive(row)
    occurred = local_time(row["occurred_start"])
    received = local_time(row["received_at"])
    return {
        "Occurred (UK time)": occurred[:10] if hidden else occurred,
        "Source": source_label(str(row["source"])),
        "Category": category_label(str(row["category"])),
        "Ward": ward,
        "Place": WITHHELD if hidden else (row.get("place") or MISSING),
        "Location type": WITHHELD
        if hidden
        else (str(row.get("location_type") or "").replace("-", " ").capitalize() or MISSING),
        "Received (UK time)": received[:10] if hidden else received,
    }


def ticker_frame(
    rows: Sequence[Mapping[str, Any]],
    ward_names: Mapping[str, str],
    sources: Sequence[str],
    role: Role,
    limit: int,
) -> pd.DataFrame:
    chosen = [r for r in rows if r.get("source") in sources][:limit]
    records = [ticker_record(r, ward_names, role) for r in chosen]
    columns = [
        "Occurred (UK time)",
        "Source",
        "Category",
        "Ward",
        "Place",
        "Location type",
        "Received (UK time)",
    ]
    return pd.DataFrame(records, columns=columns)


def window_caption(window: Window) -> str:
    end = window.end_time - timedelta(minutes=1)
    return f"{window.label}: {local_time(window.start_time)} to {local_time(end)} UK time"


ABOVE_NORMAL_ROWS = 8


def above_normal(
    now: Cells,
    baselines: Mapping[tuple[str, str], Baseline],
    sources: Sequence[str],
    ward_names: Mapping[str, str],
    role: Role,
    rows: int = ABOVE_NORMAL_ROWS,
) -> pd.DataFrame:
    """Wards furthest above their normal for this window: the window against the same
    hour-of-week window in each of the previous weeks (``StoreReader.baseline``). Every
    figure is a sum of (ward, category) cells disclosed for the role, and the verdict is
    computed from the disclosed figures, so it reveals nothing the figures do not."""
    wanted = set(sources)
    weekly: dict[str, list[list[int]]] = {}
    for (ward, category), baseline in baselines.items():
        owner = CATEGORY_SOURCE.get(category)
        if owner is not None and owner.value in wanted:
            weekly.setdefault(ward, []).append(list(baseline.weeks))
    current: dict[str, list[int]] = {}
    for (ward, category), n in now.items():
        owner = CATEGORY_SOURCE.get(category)
        if owner is not None and owner.value in wanted:
            current.setdefault(ward, []).append(n)
    found = []
    for ward in set(weekly) | set(current):
        shown = disclose_sum(current.get(ward, []), role)
        cells_by_week = list(zip(*weekly.get(ward, []), strict=True)) or [()]
        past = [disclose_sum(week, role).value for week in cells_by_week]
        usual = Baseline.of([0 if v is None else v for v in past])
        unusual = how_unusual(0 if shown.value is None else shown.value, usual)
        if unusual is None:
            continue
        label = ward_label(ward, ward_names)
        found.append((-unusual.score, label, shown.text, f"{usual.mean:,.1f}", unusual.verdict))
    found.sort()
    return pd.DataFrame(
        [
            {WARD_COLUMN: w, "This window": s, "Usual (mean of past weeks)": u, "Verdict": v}
            for _, w, s, u, v in found[:rows]
        ],
        columns=[WARD_COLUMN, "This window", "Usual (mean of past weeks)", "Verdict"],
    )


BASELINE_TTL_S = 300.0
"""How long the Live page keeps a window's baseline: its previous weeks change only by late
records, so it is read every 5 minutes, or when the window moves (a new cache key)."""


@dataclass(frozen=True, slots=True)
class LivePlan:
    """What one Live refresh reads: each KPI window with its week- and year-earlier
    comparisons (three spans per KPI), then the chosen window."""

    kpi_windows: tuple[Window, ...]
    selected: Window

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        compared = [span for w in self.kpi_windows for span in comparison_spans(w)]
        return (*compared, (self.selected.start, self.selected.end))

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
    unusual: pd.DataFrame | None  # None: the baseline could not be read
    wards: pd.DataFrame
    categories: pd.DataFrame
    ticker: pd.DataFrame


def live_figures(
    plan: LivePlan,
    rows: Sequence[Iterable[WindowRow]],
    latest: Sequence[Mapping[str, Any]],
    baselines: Mapping[tuple[str, str], Baseline] | None,
    sources: Sequence[str],
    ward_names: Mapping[str, str],
    role: Role,
    ticker_rows: int,
) -> LiveFigures:
    """The Live page's figures from the rows of ``plan.spans`` (``StoreReader.live_view``)
    and the baseline of ``plan.baseline_window`` (pure: what a refresh computes after its
    one Redis read)."""
    cells = [cells_of(r, sources) for r in rows]
    kpis = [
        kpi(w.label, cells[3 * i], cells[3 * i + 1], cells[3 * i + 2], role)
        for i, w in enumerate(plan.kpi_windows)
    ]
    unusual = (
        None if baselines is None else above_normal(cells[3], baselines, sources, ward_names, role)
    )
    chosen = cells[-1]
    return LiveFigures(
        kpis,
        unusual,
        ward_window_table(chosen, ward_names, sources, role),
        category_window_table(chosen, role),
        ticker_frame(latest, ward_names, sources, role, ticker_rows),
    )
