"""What an export holds: the view a page drew (``ExportView``), with the charts and the map
picture to draw beside its tables (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from aggregates.disclosure import FEWER, SMALL, Role
from dashboard.data import local_time
from dashboard.exports.cells import Table, typed_table

PROVENANCE = (
    "Source: safer-tracker, from partner feeds (police, council, fire) as received; "
    "figures can change as late records and corrections arrive."
)
HIDDEN = (
    f"shown as text ('{FEWER}' / '{SMALL}'): counts from 1 to 4, and totals made only of "
    "a few of them, are not published."
)


@dataclass(frozen=True, slots=True)
class Chart:
    """How to chart one table: ``bar`` draws one horizontal bar per row, labelled by the
    ``x`` column; ``line`` draws each ``y`` column as a series over the ``x`` column."""

    kind: Literal["bar", "line"]
    x: str
    y: tuple[str, ...]
    y_title: str = "Incidents"
    x_title: str = ""


@dataclass(frozen=True, slots=True)
class MapPicture:
    """A map to draw as a picture: a GeoJSON FeatureCollection of polygons and
    multipolygons (lon, lat) whose features carry ``properties.fill`` = [r, g, b(, a)]
    (0-255, as ``dashboard.maps.geojson`` makes them), and the legend's entries."""

    title: str
    geojson: dict[str, Any]
    legend: tuple[tuple[tuple[int, int, int], str], ...]
    caption: str = ""


@dataclass(frozen=True, slots=True)
class ChartData:
    """A chart's figures from its typed table: ``labels`` along the category axis, one
    tuple of values per series (None where the table shows a hidden marker or nothing);
    ``left_out`` counts the hidden values not drawn. ``rows`` is how many labels there
    are before ``first`` cuts them."""

    chart: Chart
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]
    left_out: int
    percent: bool
    rows: int

    def first(self, n: int) -> ChartData:
        """The first ``n`` labels only (a bar chart of every ward would not be read)."""
        if len(self.labels) <= n:
            return self
        series = tuple((name, values[:n]) for name, values in self.series)
        return replace(self, labels=self.labels[:n], series=series)


@dataclass(frozen=True, slots=True)
class ExportView:
    """The view a page drew, as every format exports it. ``tables`` are the very frames
    the page showed (so a partner's export holds the partner's figures, never more);
    ``charts`` and ``captions`` are keyed by table name; ``map`` is drawn as a picture.
    A chart whose columns the table lacks, or which has no number to draw, is left out."""

    title: str
    role: Role
    filters: dict[str, str]
    extracted_at: datetime
    tables: Sequence[tuple[str, pd.DataFrame]]
    caveats: Sequence[str] = field(default_factory=tuple)
    charts: Mapping[str, Chart] = field(default_factory=dict)
    captions: Mapping[str, str] = field(default_factory=dict)
    map: MapPicture | None = None

    def with_map(self, picture: MapPicture | None) -> ExportView:
        """The view with a map drawn apart from it (Live's map refreshes on its own), unless
        it has one already."""
        return self if picture is None or self.map is not None else replace(self, map=picture)

    def typed(self) -> list[Table]:
        """The tables with their values typed (a chart's label column stays text)."""
        return [
            typed_table(name, frame, [chart.x] if (chart := self.charts.get(name)) else [])
            for name, frame in self.tables
        ]

    def about(self, tables: Sequence[Table] | None = None) -> list[tuple[str, str]]:
        """The header every format carries: what, for whom, when, filtered how, how hidden
        counts show (when any table holds one), caveats."""
        hidden = any(t.hidden for t in (self.typed() if tables is None else tables))
        rows = [
            ("Export", self.title),
            ("Extracted (UK time)", local_time(self.extracted_at)),
            ("Disclosed for role", self.role.value),
        ]
        rows += [(f"Filter: {name}", value) for name, value in self.filters.items()]
        rows += [("Hidden counts", HIDDEN)] if hidden else []
        rows += [("Caveat", text) for text in (*self.caveats, PROVENANCE)]
        return rows

    def filename(self, extension: str) -> str:
        stamp = self.extracted_at.strftime("%Y%m%dT%H%MZ")
        slug = "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")
        return f"safer-{slug}-{self.role.value}-{stamp}.{extension}"

    def chart_data(self, table: Table) -> ChartData | None:
        """The figures of ``table``'s chart, or None when it has none to draw."""
        chart = self.charts.get(table.name)
        return None if chart is None else chart_data(table, chart)


def chart_data(table: Table, chart: Chart) -> ChartData | None:
    """Bar charts leave out the rows with no value to draw; line charts keep every period
    (a hidden value is a gap in its series). A value column that is missing or holds no
    number is left out; None when nothing is left to draw."""
    x = table.column(chart.x)
    columns = [c for name in chart.y if (c := table.column(name)) is not None and c.numeric]
    if x is None or not columns:
        return None
    drawn = [
        i
        for i in range(table.height)
        if chart.kind == "line" or any(c.cells[i].numeric for c in columns)
    ]
    if not drawn:
        return None
    labels = tuple("" if x.cells[i].value is None else str(x.cells[i].value) for i in drawn)
    series = tuple((c.name, tuple(c.cells[i].number for i in drawn)) for c in columns)
    left_out = sum(c.hidden for c in columns)
    percent = all(c.percent for c in columns)
    return ChartData(chart, labels, series, left_out, percent, len(labels))
