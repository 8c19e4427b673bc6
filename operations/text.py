"""What the operation reports share: zone names and colours, and text for PDF core fonts."""

from __future__ import annotations

ZONE_LABELS = {
    "target": "Target",
    "buffer": "Buffer",
    "control": "Control",
    "buffer_control": "Buffer's control",
}
ZONE_COLOURS = {
    "target": (200, 40, 40),
    "buffer": (230, 150, 20),
    "control": (90, 110, 140),
    "buffer_control": (60, 150, 90),
}
_LATIN1 = str.maketrans(
    {"–": "-", "—": "-", "×": "x", "‘": "'", "’": "'", "“": '"', "”": '"', "−": "-"}
)


def pdf_text(value: object) -> str:
    """PDF core fonts are Latin-1: typographic characters replaced, anything else '?'."""
    text = "" if value is None else str(value)
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
