"""Wards above their normal level in a window, as a role may see them: the Live page's and
the overnight briefing's table (pure: no Streamlit, no Redis).

How unusual a count is, is ``aggregates.unusual.how_unusual``; here it is applied to
disclosed figures only, so a verdict reveals nothing the figures beside it do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from aggregates.unusual import how_unusual
from dashboard.data import WARD_COLUMN, ward_label
from dashboard.disclosure import Role, disclose_sum
from dashboard.window_figures import Cells
from schemas.categories import CATEGORY_SOURCE
from store.reader import Baseline

ROWS = 8
BASELINE_TTL_S = 300.0
"""How long a window's baseline is kept: its previous weeks change only by late records, so
it is read every 5 minutes, or when the window moves (a new cache key)."""


def above_normal(
    now: Cells,
    baselines: Mapping[tuple[str, str], Baseline],
    sources: Sequence[str],
    ward_names: Mapping[str, str],
    role: Role,
    rows: int = ROWS,
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
