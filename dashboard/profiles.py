"""Profiles: who, what kind of place, which relationship — as aggregates only (pure: no
Streamlit, no Redis).

A breakdown (``aggregates.config``: category × one dimension) is read for a window at
ward level; each figure shown is a sum of (ward, category, value) cells disclosed for the
role. Repeat callers and repeat locations (pseudonymised references seen at least twice
within the window) are restricted to the analyst role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from aggregates.disclosure import SUM_CAVEAT, Role, disclose_sum
from aggregates.periods import Window
from dashboard.data import category_label, ward_label
from dashboard.selection import wanted_categories
from dashboard.window_figures import window_caption
from store.reader import RepeatCounts, WindowRow

BREAKDOWNS = {
    "youth": "Youth or adult",
    "age_victim": "Victim age band",
    "age_offender": "Offender age band",
    "gender_victim": "Victim gender",
    "gender_offender": "Offender gender",
    "relationship": "Victim–offender relationship",
    "loctype": "Location type",
    "flag": "Flags (domestic abuse, hate crime, alcohol, drugs, weapons …)",
    "cause": "Fire cause",
}
ALL_CATEGORIES = "All categories"


def value_label(value: str) -> str:
    return value.replace("-", " ").replace("/", " / ").capitalize() if value else "Not recorded"


def profile_table(rows: Iterable[WindowRow], sources: Sequence[str], role: Role) -> pd.DataFrame:
    """Category × value, as the role may see each figure (text), plus an 'All categories'
    row per value; values with nothing in the window are left out."""
    wanted = wanted_categories(sources)
    cells: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        if row.category not in wanted or not row.count:
            continue
        cells.setdefault((row.category, row.value), []).append(row.count)
        cells.setdefault((ALL_CATEGORIES, row.value), []).append(row.count)
    if not cells:
        return pd.DataFrame()
    values = sorted({v for _, v in cells})
    categories = sorted({c for c, _ in cells if c != ALL_CATEGORIES}, key=category_label)
    records = []
    for category in [ALL_CATEGORIES, *categories]:
        record = {"Category": category if category == ALL_CATEGORIES else category_label(category)}
        for value in values:
            record[value_label(value)] = disclose_sum(cells.get((category, value), []), role).text
        records.append(record)
    return pd.DataFrame(records)


def chart_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The 'All categories' row as (value, incidents) for a bar chart; suppressed left out."""
    if table.empty:
        return pd.DataFrame(columns=["Value", "Incidents"])
    first = table.iloc[0].drop("Category")
    pairs = [
        (v, int(str(n).replace(",", "")))
        for v, n in first.items()
        if str(n).replace(",", "").isdigit()
    ]
    return pd.DataFrame(pairs, columns=["Value", "Incidents"])


def repeats_table(
    repeats: Mapping[tuple[str, str], RepeatCounts], ward_names: Mapping[str, str]
) -> pd.DataFrame:
    """Analyst only: per ward, references seen twice and three or more times."""
    per: dict[str, dict[str, int]] = {}
    for (kind, area), counts in repeats.items():
        row = per.setdefault(area, {})
        label = "callers" if kind == "caller" else "locations"
        row[f"Repeat {label} (2+)"] = counts.twice
        row[f"Repeat {label} (3+)"] = counts.three_times
    columns = [
        "Repeat callers (2+)",
        "Repeat callers (3+)",
        "Repeat locations (2+)",
        "Repeat locations (3+)",
    ]
    records = [
        {"Ward": ward_label(area, ward_names), **{c: row.get(c, 0) for c in columns}}
        for area, row in per.items()
    ]
    frame = pd.DataFrame(records, columns=["Ward", *columns])
    return frame.sort_values(columns, ascending=False).reset_index(drop=True)


def caption(window: Window, role: Role) -> str:
    """Under the heading: the window, what is (not) shown and, outside the analyst role, how
    figures are protected."""
    return (
        window_caption(window)
        + ". Only what partners record; 'not recorded' values are not shown."
        + ("" if role.exact else " " + SUM_CAVEAT)
    )


def chart_text(bars: pd.DataFrame) -> str:
    """The bars (``chart_frame``) in words: 'Youth: 12; Adult: 30'."""
    return "; ".join(f"{v}: {n}" for v, n in zip(bars["Value"], bars["Incidents"], strict=True))


def chart_caption(title: str, text: str) -> str:
    """The chart's caption and text alternative (every bar may be suppressed)."""
    return f"{title}, all categories — {text or 'every figure suppressed'}."
