"""Wards above their normal level in a window, as a role may see them: the Live page's and
the overnight briefing's table (pure: no Streamlit, no Redis).

How unusual a count is, is ``aggregates.unusual``: ``judge`` against a baseline of the
weeks the feeds covered, "not enough history: k of n weeks" in place of a verdict while
there are fewer than a verdict needs. Here it is applied to disclosed figures only, so a
verdict reveals nothing the figures beside it do not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from aggregates.disclosure import Role, disclose_sum
from aggregates.unusual import History, covered_weeks, judge
from dashboard.data import MISSING, WARD_COLUMN, ward_label
from dashboard.selection import wanted_categories
from dashboard.window_figures import Cells
from store.reader import Baseline, Baselines

T = TypeVar("T")
ROWS = 8
BASELINE_TTL_S = 300.0
"""How long a window's baseline is kept: its previous weeks change only by late records, so
it is read every 5 minutes, or when the window moves (a new cache key)."""
USUAL = "Usual (mean of past weeks)"
COLUMNS = [WARD_COLUMN, "This window", USUAL, "Verdict"]


@dataclass(frozen=True, slots=True)
class AboveNormal:
    """The table, and the history its verdicts rest on (the weeks the feeds covered)."""

    table: pd.DataFrame
    history: History


def above_normal(
    now: Cells,
    baselines: Baselines,
    sources: Sequence[str],
    ward_names: Mapping[str, str],
    role: Role,
    needed: int,
    rows: int = ROWS,
) -> AboveNormal:
    """Wards furthest above their normal for this window: the window against the same
    hour-of-week window in each of the previous weeks the feeds covered
    (``StoreReader.baseline``); with fewer covered weeks than ``needed``, "not enough
    history" in place of each verdict. Every figure is a sum of (ward, category) cells
    disclosed for the role, and the verdict is computed from the disclosed figures, so it
    reveals nothing the figures do not."""
    chosen = set(sources)
    covered = covered_weeks({s: c for s, c in baselines.activity.items() if s in chosen})
    history = History(sum(covered), needed)
    wanted = wanted_categories(sources)
    weekly = _by_ward({key: list(b.weeks) for key, b in baselines.cells.items()}, wanted)
    current = _by_ward(now, wanted)
    found = []
    for ward in set(weekly) | set(current):
        shown = disclose_sum(current.get(ward, []), role)
        cells_by_week = list(zip(*weekly.get(ward, []), strict=True)) or [()] * len(covered)
        past = [
            disclose_sum(week, role).value
            for week, c in zip(cells_by_week, covered, strict=True)
            if c
        ]
        usual = Baseline.of([0 if v is None else v for v in past])
        unusual = judge(0 if shown.value is None else shown.value, usual, history)
        if unusual is None:
            continue
        mean = f"{usual.mean:,.1f}" if usual.weeks else MISSING
        label = ward_label(ward, ward_names)
        found.append((-unusual.score, label, shown.text, mean, unusual.verdict))
    found.sort()
    table = pd.DataFrame([dict(zip(COLUMNS, row[1:], strict=True)) for row in found[:rows]])
    return AboveNormal(table.reindex(columns=COLUMNS), history)


def _by_ward(cells: Mapping[tuple[str, str], T], wanted: frozenset[str]) -> dict[str, list[T]]:
    """Per ward, the values of its (ward, category) cells of the selected categories."""
    found: dict[str, list[T]] = {}
    for (ward, category), value in cells.items():
        if category in wanted:
            found.setdefault(ward, []).append(value)
    return found
