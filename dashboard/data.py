"""Pure data functions of the live page: a ``LiveSnapshot`` in, DataFrames / dicts out.

No Streamlit and no Redis here, so every panel's arithmetic is tested with plain objects.
Times: ``datetime`` values are UTC-aware; what users read is Europe/London local time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from schemas.categories import CATEGORY_NAMES, Source
from store.reader import CountRow, LiveSnapshot

UNASSIGNED_WARD = "unassigned"  # ticker rows of incidents without a ward

LOCAL_TZ = ZoneInfo("Europe/London")
ALL_SOURCES: tuple[str, ...] = tuple(s.value for s in Source)
TICKER_ROWS = 50
MISSING = "—"
KPI_TOTAL = "All incidents"
KPI_DEAD = "Dead-lettered"
WARD_COLUMN = "Ward"
TOTAL_COLUMN = "Total"
CATEGORY_COLUMN = "Category"
INCIDENTS_COLUMN = "Incidents"


def source_label(source: str) -> str:
    """Display label of a source slug ('police' -> 'Police'); also its metric label."""
    return source.capitalize()


def parse_sources(values: Iterable[str]) -> list[str]:
    """Known sources among ``values`` (e.g. query parameters), in canonical order, no repeats."""
    wanted = set(values)
    return [s for s in ALL_SOURCES if s in wanted]


def ward_label(code: str, ward_names: Mapping[str, str]) -> str:
    """'Bebington (E05000954)'; 'Unassigned' for incidents without a ward; the code if unknown."""
    if code == UNASSIGNED_WARD:
        return "Unassigned"
    name = ward_names.get(code)
    return f"{name} ({code})" if name else code


def category_label(slug: str) -> str:
    return CATEGORY_NAMES.get(slug, slug)


def has_data(snapshot: LiveSnapshot) -> bool:
    """Whether anything at all has been stored yet (counts, ticker or dead letters)."""
    return bool(snapshot.counts or snapshot.latest or sum(snapshot.deadletters.values()))


def kpis(snapshot: LiveSnapshot) -> dict[str, int]:
    """Metric label -> value: all incidents, one per source, dead-lettered messages."""
    by_source = snapshot.total_by("source")
    values = {KPI_TOTAL: snapshot.total}
    values.update({source_label(s): by_source.get(s, 0) for s in ALL_SOURCES})
    values[KPI_DEAD] = sum(snapshot.deadletters.values())
    return values


def ago_text(then: datetime, now: datetime) -> str:
    """Elapsed time in words: '45 s ago', '12 min ago', '3 h ago', '2 days ago'."""
    seconds = int((now - then).total_seconds())
    if seconds < 1:
        return "just now"
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86_400} days ago"


def local_time(value: datetime | str) -> str:
    """A UTC-aware time (or ISO string) as Europe/London 'YYYY-MM-DD HH:MM'."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def clock_time(moment: datetime) -> str:
    """A UTC-aware time as Europe/London 'HH:MM:SS'."""
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M:%S")


def freshness_lines(snapshot: LiveSnapshot, now: datetime) -> list[str]:
    """One line per source: latest arrival in local time and how long ago, or 'nothing yet'."""
    lines = []
    for fresh in snapshot.freshness:
        label = source_label(fresh.source)
        if fresh.latest_received is None:
            lines.append(f"{label}: nothing received yet")
            continue
        at = fresh.latest_received.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{label}: latest arrival {at} ({ago_text(fresh.latest_received, now)})")
    return lines


def _selected(rows: Iterable[CountRow], sources: Sequence[str]) -> list[CountRow]:
    return [row for row in rows if row.source in sources]


def ward_table(
    snapshot: LiveSnapshot, ward_names: Mapping[str, str], sources: Sequence[str]
) -> pd.DataFrame:
    """Counts by ward: one column per selected source plus Total, sorted by Total descending."""
    columns = [source_label(s) for s in parse_sources(sources)]
    cells: dict[str, Counter[str]] = {}
    for row in _selected(snapshot.counts, sources):
        cells.setdefault(row.ward, Counter())[source_label(row.source)] += row.count
    records = [
        {WARD_COLUMN: ward_label(ward, ward_names), **{c: counts[c] for c in columns}}
        for ward, counts in cells.items()
    ]
    frame = pd.DataFrame(records, columns=[WARD_COLUMN, *columns])
    frame[TOTAL_COLUMN] = frame[columns].sum(axis=1).astype(int)
    return _sorted_desc(frame, TOTAL_COLUMN, WARD_COLUMN)


def category_table(snapshot: LiveSnapshot, sources: Sequence[str]) -> pd.DataFrame:
    """Counts by category display name, sorted by count descending."""
    totals: Counter[str] = Counter()
    for row in _selected(snapshot.counts, sources):
        totals[category_label(row.category)] += row.count
    frame = pd.DataFrame(list(totals.items()), columns=[CATEGORY_COLUMN, INCIDENTS_COLUMN])
    return _sorted_desc(frame, INCIDENTS_COLUMN, CATEGORY_COLUMN)


def category_summary(table: pd.DataFrame) -> str:
    """Text alternative of the category chart: every category with its count, largest first."""
    if table.empty:
        return "No incidents for the selected sources."
    parts = [f"{r[CATEGORY_COLUMN]}: {r[INCIDENTS_COLUMN]}" for r in table.to_dict("records")]
    return "Incidents by category, largest first — " + "; ".join(parts) + "."


def _sorted_desc(frame: pd.DataFrame, count: str, label: str) -> pd.DataFrame:
    ordered = frame.sort_values([count, label], ascending=[False, True], kind="stable")
    return ordered.reset_index(drop=True)


def _pretty(slug: Any) -> str:
    return str(slug).replace("-", " ").capitalize() if slug else MISSING


def ticker_table(
    snapshot: LiveSnapshot,
    ward_names: Mapping[str, str],
    sources: Sequence[str],
    limit: int = TICKER_ROWS,
) -> pd.DataFrame:
    """Latest incidents of the selected sources, newest arrival first, at most ``limit`` rows.

    'Occurred' is the event time (start) in UK local time; 'Received' explains the order.
    """
    rows = [r for r in snapshot.latest if r.get("source") in sources][:limit]
    records = [_ticker_record(row, ward_names) for row in rows]
    return pd.DataFrame(records, columns=list(_TICKER_COLUMNS))


_TICKER_COLUMNS = (
    "Occurred (UK time)",
    "Source",
    "Category",
    "Ward",
    "Place",
    "Location type",
    "Received (UK time)",
)


def _ticker_record(row: Mapping[str, Any], ward_names: Mapping[str, str]) -> dict[str, str]:
    ward = row.get("ward") or UNASSIGNED_WARD
    values = (
        local_time(row["occurred_start"]),
        source_label(str(row["source"])),
        category_label(str(row["category"])),
        ward_label(ward, ward_names),
        row.get("place") or MISSING,
        _pretty(row.get("location_type")),
        local_time(row["received_at"]),
    )
    return dict(zip(_TICKER_COLUMNS, values, strict=True))
