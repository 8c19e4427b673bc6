"""Every partner export format ``safer feed`` knows, by name."""

from __future__ import annotations

from feeds.fire import FIRE_INCIDENTS
from feeds.police import POLICE_STREET
from feeds.rows import Adapter

ADAPTERS: dict[str, Adapter] = {"police": POLICE_STREET, "fire": FIRE_INCIDENTS}
