"""What the pages share about a window's figures (``dashboard.window_figures``)."""

from __future__ import annotations

from dashboard import window_figures
from store.reader import WindowRow

ALL = ("police", "council", "fire")
BEB, BIRK = "E05000954", "E05000956"

ROWS = (
    WindowRow(BEB, "asb-nuisance", "", 2, 0),
    WindowRow(BEB, "burglary", "", 1, 0),
    WindowRow(BIRK, "burglary", "", 12, 0),
    WindowRow(BIRK, "drugs", "", 3, 0),
    WindowRow(BIRK, "secondary-fire", "", 6, 0),
)


def test_cells_keep_selected_sources() -> None:
    assert window_figures.cells_of(ROWS, ["council"]) == {(BEB, "asb-nuisance"): 2}
    assert sum(window_figures.cells_of(ROWS, ALL).values()) == 24
