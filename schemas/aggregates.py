"""Contract of the aggregate change stream (``safer.aggregates.v1``): one count of one area,
category and day (or hour, for the last 48 hours), each time it changes.

Counts are **absolute**, never deltas, and carry a ``version`` that grows with every
change the worker publishes: a consumer keeps, per cell (the message key: ``level|area|
category|grain|bucket``), the value with the highest version, so one that replays, misses
or receives a message twice still ends with the store's figure. The topic is compacted:
its latest message per cell is its current count (0 when every record left it).

A cell counts the events whose time lies inside its day or hour (an event known only to a
longer span, such as a police.uk month, is in no day or hour cell). These are exact
counts: a subscriber receives them only through the gateway, under its agreement.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.bounds import UtcDatetime
from schemas.events import Contract, Slug


class AggregateChange(Contract):
    level: Literal["borough", "ward", "lsoa"]
    area: Annotated[str, Field(pattern=r"^[EW]0[1-9]\d{6}$")]
    category: Slug
    grain: Literal["day", "hour"]
    bucket: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:00:00Z)?$")] = Field(
        description="The local day (YYYY-MM-DD, UK time) or the hour's UTC start."
    )
    count: Annotated[int, Field(ge=0)]
    version: Annotated[int, Field(ge=1)] = Field(
        description="Grows with every change published: keep the highest per cell."
    )
    changed_at: UtcDatetime
    schema_version: Literal["1"] = "1"

    @property
    def cell(self) -> str:
        """The message key: one compacted cell."""
        return f"{self.level}|{self.area}|{self.category}|{self.grain}|{self.bucket}"
