"""Overnight briefing: what happened since a chosen time (pure: no Streamlit, no Redis).

For the morning meeting: counts by source and category, the notable incidents and the
areas above normal, since 18:00 yesterday by default. The analyst may choose any start;
partner and public get the fixed window 'yesterday' (whole day, to midnight), since an
arbitrary start could be moved hour by hour to isolate single incidents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd

from aggregates import periods
from aggregates.disclosure import Role, disclose_sum
from aggregates.periods import FIXED_BY_SLUG, Window
from dashboard.data import ALL_SOURCES, category_label, source_label
from dashboard.incidents import IncidentsView, incidents_view
from dashboard.window_figures import Cells
from schemas.calendar import LONDON
from schemas.categories import CATEGORY_SOURCE

DEFAULT_SINCE = time(18, 0)
NOTABLE = frozenset(
    {
        "violent-crime",
        "robbery",
        "possession-of-weapons",
        "criminal-damage-arson",
        "call-crime-in-progress",
        "call-welfare-concern",
        "primary-fire",
    }
)
"""Categories a morning meeting reads incident by incident."""


def default_since(now: datetime) -> datetime:
    """18:00 (UK time) yesterday."""
    yesterday = now.astimezone(LONDON).date() - timedelta(days=1)
    return datetime.combine(yesterday, DEFAULT_SINCE, tzinfo=LONDON)


def briefing_window(now: datetime, role: Role, since: datetime | None = None) -> Window:
    """The analyst's window from ``since`` (whole hours) to the end of the current hour;
    partner and public: yesterday."""
    if not role.exact:
        yesterday = FIXED_BY_SLUG["yesterday"].window(now)
        day = yesterday.start_time.astimezone(LONDON)
        return yesterday.relabelled(f"Yesterday ({day:%a %d %b})")
    begin = since or default_since(now)
    label = f"Since {begin.astimezone(LONDON):%a %d %b %H:%M}"
    return Window("since", label, *periods.since(begin, now))


def since_from(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LONDON)


def counts_by_source(cells: Cells, role: Role) -> pd.DataFrame:
    rows = []
    for source in ALL_SOURCES:
        part = [n for (_, c), n in cells.items() if _source(c) == source]
        rows.append({"Source": source_label(source), "Incidents": disclose_sum(part, role).text})
    rows.append({"Source": "All", "Incidents": disclose_sum(cells.values(), role).text})
    return pd.DataFrame(rows)


def counts_by_category(cells: Cells, role: Role) -> pd.DataFrame:
    per: dict[str, list[int]] = {}
    for (_, category), n in cells.items():
        per.setdefault(category, []).append(n)
    shown = [(category, disclose_sum(v, role), sum(v)) for category, v in per.items()]
    shown.sort(key=lambda r: (-(r[1].value if r[1].value is not None else -1), r[0]))
    return pd.DataFrame(
        [
            {"Category": category_label(c), "Source": source_label(_source(c)), "Incidents": s.text}
            for c, s, _ in shown
        ],
        columns=["Category", "Source", "Incidents"],
    )


def _source(category: str) -> str:
    owner = CATEGORY_SOURCE.get(category)
    return owner.value if owner else ""


NOTABLE_TEXT = (
    "violence, robbery, weapons, arson, crimes in progress, welfare concerns, primary fires"
)


def notable(
    rows: Sequence[Mapping[str, Any]],
    cells: Cells,
    window: Window,
    ward_names: Mapping[str, str],
    sources: Sequence[str],
    role: Role,
) -> IncidentsView:
    """Notable incidents (``NOTABLE`` categories) of the latest-incidents list that occurred
    in the window, newest first, as the role may see them (``dashboard.incidents``); where
    it sees no single incidents, the window's counts of the notable categories (``cells``),
    zeros included."""
    chosen = [
        r
        for r in rows
        if r.get("category") in NOTABLE
        and window.contains(datetime.fromisoformat(str(r["occurred_start"])))
    ]
    headings = (
        f"Notable incidents ({NOTABLE_TEXT})",
        f"Notable incidents by category ({NOTABLE_TEXT})",
    )
    return incidents_view(chosen, cells, ward_names, sources, role, headings, len(chosen), NOTABLE)


def summary_text(by_source: pd.DataFrame, window: Window) -> str:
    parts = [f"{r['Source']}: {r['Incidents']}" for r in by_source.to_dict("records")]
    return f"{window.label} — " + "; ".join(parts) + "."
