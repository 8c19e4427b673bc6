"""Every partner export format ``safer feed`` knows, by name."""

from __future__ import annotations

from feeds.council import council_adapter
from feeds.fire import FIRE_INCIDENTS
from feeds.police import POLICE_STREET
from feeds.rows import Adapter
from feeds.stop_search import POLICE_STOP_SEARCH


def adapters(pseudonym_key: bytes) -> dict[str, Adapter]:
    """The adapters, by ``safer feed`` source name (the council one pseudonymises caller
    and address references with ``pseudonym_key`` as it reads)."""
    return {
        "police": POLICE_STREET,
        "stop-search": POLICE_STOP_SEARCH,
        "council": council_adapter(pseudonym_key),
        "fire": FIRE_INCIDENTS,
    }
