"""The operation file: the one module that reads and checks an operation's TOML.

An operation (``Operation Open Space``, a Halloween and bonfire-night plan, ...) is a period,
the categories it works against and its zones: a **target** where the work happens, an
optional **buffer** around it (where the problem might move to, or where the benefit might
spread), an optional **control** (default: the rest of the partnership) and, for the
buffer, an optional control of its own (``buffer_control``, the ``D`` of the Weighted
Displacement Difference). Zones are wards, LSOAs and/or GeoJSON polygons (parks, beaches);
a buffer may also be a ring of ``metres`` around the target. The baseline is two dates,
``previous-period`` (the same length just before) or ``same-period-last-year`` (364 days
earlier, so weekdays line up).

Bad input gives ``OperationError`` with one line naming the field. Geography (which codes
exist, what a polygon covers) is checked by ``operations.zones``.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from safer.errors import SaferError
from schemas.categories import ACTIVITY_CATEGORIES, CATEGORY_NAMES, CATEGORY_SOURCE, Source

PREVIOUS_PERIOD, SAME_PERIOD_LAST_YEAR = "previous-period", "same-period-last-year"
YEAR_EARLIER_DAYS = 364
ZONE_NAMES = ("target", "buffer", "control", "buffer_control")
"""The zones of an operation, in the order the evaluation lists them."""
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 60


class OperationError(SaferError):
    """An operation file that cannot be used; the message is one line naming the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Strict):
    """Local dates: ``start`` inclusive, ``end`` exclusive."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days


class ZoneSpec(_Strict):
    """Wards and/or LSOAs (codes) and/or a GeoJSON file of polygons (a path relative to the
    operation file); a buffer may instead (or also) be a ring of ``metres`` around the
    target."""

    wards: tuple[str, ...] = ()
    lsoas: tuple[str, ...] = ()
    geojson: str | None = None
    metres: Annotated[float, Field(gt=0, le=5000)] | None = None

    @property
    def empty(self) -> bool:
        return not (self.wards or self.lsoas or self.geojson or self.metres)


class OperationSpec(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    slug: str = ""
    description: Annotated[str, Field(max_length=2000)] = ""
    categories: Annotated[tuple[str, ...], Field(min_length=1)]
    sources: tuple[Source, ...] = tuple(Source)
    youth: Literal["youth", "adult", "any"] = "any"
    start: date
    end: date
    baseline: Period | Literal["previous-period", "same-period-last-year"] = "previous-period"
    target: ZoneSpec
    buffer: ZoneSpec | None = None
    control: ZoneSpec | None = None
    buffer_control: ZoneSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_slug(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("slug") and isinstance(data.get("name"), str):
            return {**data, "slug": slug_of(data["name"])}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> OperationSpec:
        if not SLUG.match(self.slug) or len(self.slug) > MAX_SLUG:
            raise _field("slug", f"{self.slug!r} is not a slug (a-z, 0-9 and single dashes)")
        if self.end <= self.start:
            raise _field("end", f"{self.end} is not after start {self.start}")
        for category in self.categories:
            if category not in CATEGORY_NAMES or category in ACTIVITY_CATEGORIES:
                raise _field("categories", f"unknown category {category!r}")
            source = CATEGORY_SOURCE[category]
            if source not in self.sources:
                raise _field(
                    "categories", f"{category!r} is a {source.value} category, not in sources"
                )
        if self.target.empty or self.target.metres is not None:
            raise _field("target", "needs wards, lsoas or geojson (metres is for a buffer)")
        for name in ("control", "buffer_control"):
            zone = getattr(self, name)
            if zone is not None and (zone.empty or zone.metres is not None):
                raise _field(name, "needs wards, lsoas or geojson (metres is for a buffer)")
        if self.buffer is not None and self.buffer.empty:
            raise _field("buffer", "needs metres, wards, lsoas or geojson")
        if self.buffer_control is not None and self.buffer is None:
            raise _field("buffer_control", "is the buffer's control, but there is no buffer")
        baseline = self.baseline_period
        if baseline.end > self.start:
            raise _field("baseline", f"ends {baseline.end}, after the operation starts")
        return self

    @property
    def period(self) -> Period:
        return Period(start=self.start, end=self.end)

    @property
    def baseline_period(self) -> Period:
        """The baseline as dates (``previous-period`` and ``same-period-last-year`` resolved)."""
        if isinstance(self.baseline, Period):
            return self.baseline
        if self.baseline == PREVIOUS_PERIOD:
            length = self.end - self.start
            return Period(start=self.start - length, end=self.start)
        shift = timedelta(days=YEAR_EARLIER_DAYS)
        return Period(start=self.start - shift, end=self.end - shift)

    @property
    def files(self) -> tuple[str, ...]:
        """GeoJSON files the zones name (paths as written in the file)."""
        zones = (self.target, self.buffer, self.control, self.buffer_control)
        return tuple(dict.fromkeys(z.geojson for z in zones if z is not None and z.geojson))


def slug_of(name: str) -> str:
    """``Operation Open Space 2018`` -> ``open-space-2018``."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    if len(words) > 1 and words[0] in ("operation", "op"):
        words = words[1:]
    return "-".join(words)[:MAX_SLUG].strip("-")


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _field(field: str, message: str) -> _FieldError:
    return _FieldError(field, message)


def parse_operation(text: str, origin: str = "operation file") -> OperationSpec:
    """An operation from its TOML text; ``OperationError`` (one line) when it is bad."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OperationError(f"{origin}: not TOML ({exc})") from None
    try:
        return OperationSpec.model_validate(data)
    except ValidationError as exc:
        raise OperationError(f"{origin}: {_one_line(exc)}") from None


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    if first["type"] == "missing":
        message = "is required"
    inner = first.get("ctx", {}).get("error")
    if isinstance(inner, _FieldError):
        return str(inner)
    return f"{where}: {message}" if where else message
