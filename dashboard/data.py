"""Pure data functions of the live page: a ``LiveSnapshot`` in, DataFrames / dicts out.

No Streamlit and no Redis here, so every panel's arithmetic is tested with plain objects.
Times: ``datetime`` values are UTC-aware; what users read is Europe/London local time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from schemas.calendar import LONDON
from schemas.categories import CATEGORY_NAMES, Source
from store.reader import LiveSnapshot
from store.simulated import SimulatedHistory

UNASSIGNED_WARD = "unassigned"  # ticker rows of incidents without a ward

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


def sources_text(sources: Iterable[str]) -> str:
    """'Police, Fire': the selected sources as a filter line of exports."""
    return ", ".join(source_label(s) for s in sources)


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


def local_time(value: datetime | str, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC-aware time (or ISO string) as Europe/London 'YYYY-MM-DD HH:MM' (or another
    ``strftime`` pattern, e.g. a role's ``IncidentDetail.time_format``)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LONDON).strftime(pattern)


def clock_time(moment: datetime) -> str:
    """A UTC-aware time as Europe/London 'HH:MM:SS'."""
    return moment.astimezone(LONDON).strftime("%H:%M:%S")


def freshness_lines(snapshot: LiveSnapshot, now: datetime) -> list[str]:
    """One line per source: latest arrival in local time and how long ago, or 'nothing yet'."""
    lines = []
    for fresh in snapshot.freshness:
        label = source_label(fresh.source)
        if fresh.latest_received is None:
            lines.append(f"{label}: nothing received yet")
            continue
        at = fresh.latest_received.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{label}: latest arrival {at} ({ago_text(fresh.latest_received, now)})")
    return lines


def simulated_text(history: SimulatedHistory | None) -> str | None:
    """The banner saying the figures include simulated history (``store.simulated``), or
    None when the log holds none."""
    if history is None:
        return None
    return (
        f"Includes simulated history from {local_time(history.start)} to "
        f"{local_time(history.end)} UK time: made-up incidents, not any partner's records."
    )
