"""What a feed puts on a raw topic: one partner message, labelled with what it is.

Both the real import path (``feeds.publish``) and the simulator (``feeds.simulator``)
produce these; neither depends on the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.categories import Source

Label = Literal["new", "duplicate", "correction", "cancellation", "malformed"]
"""``new`` (version 1), ``duplicate`` (redelivered or the same version again),
``correction`` / ``cancellation`` (a later version), ``malformed`` (must be rejected)."""


@dataclass(frozen=True)
class RawMessage:
    """One message as a partner feed would put it on its raw topic."""

    source: Source
    key: bytes | None
    value: bytes
    label: Label
