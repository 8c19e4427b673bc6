"""What every page shares about a window's figures (pure: no Streamlit, no Redis).

The finest cells any role can see are (ward, category) counts of a window, read through
``store.reader.StoreReader.windows``. Every figure shown — a KPI, a ward's total, a source
column, a category — is a sum of such cells, disclosed with ``aggregates.disclosure``: exact
for the analyst, protected (small cells imputed, then suppressed and rounded) for partner
and public, so that no combination of figures recovers a count under 5.

The windows are ``aggregates.periods``'s: the analyst chooses among the rolling windows up
to the end of the current hour, partner and public among the fixed whole-day ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from aggregates.disclosure import SUM_CAVEAT, Role
from aggregates.periods import (
    CUSTOM,
    FIXED_WINDOWS,
    LIVE,
    ROLLING_LABELS,
    YEAR_TO_DATE,
    Period,
    Window,
    fixed_windows,
    rolling_windows,
)
from dashboard.data import local_time
from dashboard.selection import wanted_categories
from store.reader import WindowRow

Cells = dict[tuple[str, str], int]
"""(ward, category) -> exact count in a window."""


def windows_for(role: Role, now: datetime) -> list[Window]:
    """The windows ``role`` may choose: rolling for the analyst, fixed for the others."""
    return rolling_windows(now) if role.exact else fixed_windows(now)


def window_for(role: Role, now: datetime, choice: str | Period) -> Window:
    """The window of a period (or of a window's slug) as ``role`` sees it: up to the end of
    now's hour for the analyst, whole days to the last midnight for partner and public
    (``KeyError`` for a named window that is not one of the role's)."""
    period = choice if isinstance(choice, Period) else Period(choice)
    if period.slug not in (CUSTOM, *YEAR_TO_DATE) and period.slug not in window_slugs(role):
        raise KeyError(period.slug)
    return period.window(now, whole_days=not role.exact)


def window_slugs(role: Role) -> tuple[str, ...]:
    """The named windows ``role`` may choose (rolling or fixed)."""
    return LIVE if role.exact else tuple(w.slug for w in FIXED_WINDOWS)


def period_options(role: Role) -> dict[str, str]:
    """Every period ``role`` may choose: its named windows, the years to date, dates."""
    named = ROLLING_LABELS if role.exact else {w.slug: w.label for w in FIXED_WINDOWS}
    return (
        {slug: named[slug] for slug in window_slugs(role)} | YEAR_TO_DATE | {CUSTOM: "Custom dates"}
    )


def cells_of(rows: Iterable[WindowRow], sources: Sequence[str]) -> Cells:
    """(ward, category) counts of the selected sources and categories (the rows of a
    ward-level window)."""
    wanted = wanted_categories(sources)
    cells: Cells = {}
    for row in rows:
        if row.count and row.category in wanted:
            key = (row.area, row.category)
            cells[key] = cells.get(key, 0) + row.count
    return cells


def in_sentence(label: str) -> str:
    """A window's label inside a sentence or heading: its first word lower-cased, names of
    days and months kept ('Since Mon 30 Nov 18:00' -> 'since Mon 30 Nov 18:00', '3 Dec
    2026' unchanged)."""
    return label[:1].lower() + label[1:]


def window_caption(window: Window) -> str:
    """'Last 7 days: 2026-06-23 00:00 to 2026-06-29 23:59 UK time' (the last minute in it)."""
    end = window.end_time - timedelta(minutes=1)
    return f"{window.label}: {local_time(window.start_time)} to {local_time(end)} UK time"


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
