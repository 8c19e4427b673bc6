"""Exports of the current view to CSV, Excel, PDF and PowerPoint (pure: no Streamlit, no
Redis).

Every export carries what the view showed and how to read it: the title, the role it was
disclosed for, the filters, the time of extraction (UK time) and the caveats. The tables
are the very frames the page showed, so a partner's export holds the same suppressed and
rounded figures as the partner's screen, never more; their values are typed on the way
out (``cells``), so counts are numbers and hidden counts text in every format.

Modules: ``view`` (what a page passes: ``ExportView``, ``Chart``, ``MapPicture``),
``cells`` (typing of displayed values), ``tabular`` (CSV and Excel) with ``sheets``
(sheet names, native Excel charts, the map sheet), ``pdf``, ``slides`` (PowerPoint) and
``pictures`` (charts and maps as PNG, matplotlib).
"""

from __future__ import annotations

from collections.abc import Callable

from dashboard.exports.pdf import to_pdf
from dashboard.exports.slides import to_pptx
from dashboard.exports.tabular import to_csv, to_excel
from dashboard.exports.view import PROVENANCE, Chart, ExportView, MapPicture

__all__ = ["FORMATS", "PROVENANCE", "Chart", "ExportView", "MapPicture", "render"]

FORMATS = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("PDF", "application/pdf"),
    "pptx": (
        "PowerPoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
}
_RENDERERS: dict[str, Callable[[ExportView], bytes]] = {
    "csv": to_csv,
    "xlsx": to_excel,
    "pdf": to_pdf,
    "pptx": to_pptx,
}


def render(view: ExportView, fmt: str) -> bytes:
    """The view as the file of format ``fmt`` (a key of ``FORMATS``)."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown export format {fmt!r} ({', '.join(FORMATS)})")
    return renderer(view)
