"""Hot-spot times: hour of day × day of week, aoristic (pure: no Streamlit, no Redis).

``StoreReader.profile`` gives per (area, category) 168 hour-of-week weights in events: an
event known only as an interval is spread evenly over its hours, never put at its
midpoint. The analyst sees expected incidents per hour. Partner and public see only how a
pattern is distributed (five bands from "quietest" to "busiest", no numbers), and only when
the pattern rests on enough incidents (``MIN_EVENTS``, after disclosure); a pattern of a
few incidents would point at those incidents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pandas as pd

from aggregates.disclosure import Role, disclose_sum
from aggregates.hour_of_week import HOURS_PER_WEEK
from aggregates.periods import Window, month_window
from dashboard.data import ward_label
from dashboard.selection import wanted_categories

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIN_EVENTS = 20
BANDS = ("quietest", "quieter", "middle", "busier", "busiest")
SHARED_CAVEAT = (
    f"Outside the analyst role hot-spot times show five bands, not numbers, and only for "
    f"patterns of at least {MIN_EVENTS} incidents in whole months."
)
Profiles = Mapping[tuple[str, str], tuple[float, ...]]


def span_for(slug: str, now: datetime, role: Role) -> Window:
    """Whole months (``aggregates.periods.MONTH_WINDOWS``): the last N complete months,
    plus (analyst) the current month so far."""
    return month_window(slug, now, so_far=role.exact)


def selected_weights(
    profiles: Profiles, areas: Sequence[str] | None, sources: Sequence[str]
) -> tuple[list[float], dict[tuple[str, str], int]]:
    """The summed 168 weights of the chosen areas (None: all) and sources' categories, and
    each (area, category)'s number of incidents (weights sum to one per incident)."""
    wanted = wanted_categories(sources)
    total = [0.0] * HOURS_PER_WEEK
    counts: dict[tuple[str, str], int] = {}
    for (area, category), weights in profiles.items():
        if category not in wanted:
            continue
        if areas is not None and area not in areas:
            continue
        for i, w in enumerate(weights):
            total[i] += w
        counts[area, category] = round(sum(weights))
    return total, counts


def grid(weights: Sequence[float]) -> pd.DataFrame:
    """Long table: Day, Hour ('00'..'23'), Incidents (expected, one decimal)."""
    return pd.DataFrame(
        [
            {"Day": DAYS[i // 24], "Hour": f"{i % 24:02d}", "Incidents": round(w, 1)}
            for i, w in enumerate(weights)
        ]
    )


def banded(weights: Sequence[float]) -> pd.DataFrame:
    """Long table: Day, Hour and the band of the cell among all 168 (by rank, no numbers)."""
    order = sorted(range(len(weights)), key=lambda i: (weights[i], i))
    band = {}
    for rank, i in enumerate(order):
        band[i] = BANDS[min(rank * len(BANDS) // len(weights), len(BANDS) - 1)]
    return pd.DataFrame(
        [
            {"Day": DAYS[i // 24], "Hour": f"{i % 24:02d}", "Level": band[i]}
            for i in range(len(weights))
        ]
    )


def enough(counts: Mapping[tuple[str, str], int], role: Role) -> bool:
    """Whether a pattern may be shown: always to the analyst; to others when the disclosed
    number of incidents it rests on is at least ``MIN_EVENTS``."""
    if role.exact:
        return sum(counts.values()) > 0
    shown = disclose_sum(counts.values(), role)
    return shown.value is not None and shown.value >= MIN_EVENTS


def busiest_text(weights: Sequence[float], role: Role, top: int = 5) -> str:
    """Text alternative of the heatmap: the busiest hours of the week, largest first."""
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))[:top]
    if role.exact:
        parts = [f"{DAYS[i // 24]} {i % 24:02d}:00 ({weights[i]:.1f})" for i in order]
    else:
        parts = [f"{DAYS[i // 24]} {i % 24:02d}:00" for i in order]
    return "Busiest hours of the week, busiest first — " + "; ".join(parts) + "."


# --- what the page shows ----------------------------------------------------------------


def level_of(area: str | None) -> str:
    """The profile level read: the whole area's (None) or its wards'."""
    return "borough" if area is None else "ward"


def place_name(area: str | None, ward_names: Mapping[str, str], whole: str) -> str:
    """'the whole borough' (or partnership), or the ward's label."""
    return f"the whole {whole}" if area is None else ward_label(area, ward_names)


def too_few_text(role: Role) -> str:
    """Shown in place of a pattern that ``enough`` withholds."""
    if role.exact:
        return "Too few incidents here for a pattern."
    return (
        "Too few incidents here for a pattern that can be shown outside the analyst role "
        f"(fewer than {MIN_EVENTS})."
    )


def week_table(weights: Sequence[float], role: Role) -> pd.DataFrame:
    """The heatmap's long table: expected incidents for the analyst (``grid``), bands for
    the others (``banded``); its last column is what the colour shows."""
    return grid(weights) if role.exact else banded(weights)


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """A ``week_table`` as days by hours (the table under the chart, and the export)."""
    return table.pivot(index="Day", columns="Hour", values=table.columns[-1]).reindex(list(DAYS))


def export_caveats(text: str, role: Role) -> list[str]:
    """The chart's text alternative, and outside the analyst role what the bands mean."""
    return [text] if role.exact else [text, SHARED_CAVEAT]
