"""Every partner export format ``safer feed`` knows, by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from feeds.adapters.council import council_adapter
from feeds.adapters.fire import FIRE_INCIDENTS
from feeds.adapters.police import read_street_csv, to_event
from feeds.adapters.police_api import read_street_json
from feeds.adapters.rows import Adapter, Row, RowError
from feeds.adapters.stop_search import POLICE_STOP_SEARCH
from schemas.categories import Source


def read_street(path: Path) -> Iterator[Row | RowError]:
    """A street-level export: the API's JSON if its name ends ``.json``, else the CSV."""
    if path.suffix.lower() == ".json":
        return read_street_json(path)
    return read_street_csv(path)


POLICE_STREET = Adapter(
    source=Source.POLICE,
    pattern="*-street.csv|*-street.json",
    read=read_street,
    to_event=to_event,
    complete_periods=True,
)
"""police.uk street-level crime in either of its formats (``feeds.adapters.police``: the CSV
and the events; ``feeds.adapters.police_api``: the API's JSON read into the CSV's columns)."""


def adapters(pseudonym_key: bytes) -> dict[str, Adapter]:
    """The adapters, by ``safer feed`` source name (the council one pseudonymises caller
    and address references with ``pseudonym_key`` as it reads)."""
    return {
        "police": POLICE_STREET,
        "stop-search": POLICE_STOP_SEARCH,
        "council": council_adapter(pseudonym_key),
        "fire": FIRE_INCIDENTS,
    }
