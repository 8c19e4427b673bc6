"""Sharing agreements: what one downstream subscriber may receive, as configuration.

A partnership shares under the Crime and Disorder Act 1998 (s.115; s.17A with SI 2007/1831)
and its information sharing protocol. Each subscriber's part of it is one TOML file::

    subscriber = "fire-prevention"
    sources = ["fire"]
    level = "records"            # or "aggregates"
    precision = "ward"           # lsoa | ward | snapped-point | none
    fields = ["category", "occurred", "cause"]
    delay_hours = 0
    # optional:
    kinds = ["fire.incident"]                  # event types (default: all of the sources)
    categories = ["secondary-fire"]            # category slugs (default: all of the kinds)
    areas = ["E05000958"]                      # "partnership" (default), authority or ward codes
    disclosure = "protected"                   # aggregates: "protected" or "ons"
    publish = ["council"]                      # sources it may send through the gateway

``fields`` are the payload fields shared beyond the envelope (``ENVELOPE``): a payload field
by name (``category``, ``occurred``, ``cause``, ``people``...), or one attribute of the people
or flags (``people.youth``, ``flags.domestic_abuse``), or ``location.location_type``. Where a
record is is governed by ``precision`` alone (``sharing.view``). The pseudonymised caller and
address references never leave the analyst role: an agreement naming them is refused.

Every mistake is a one-line ``ConfigError`` naming the file and the field. The agreement's
``revision`` (a hash of its validated content) changes with any change that matters, and
the stream rebuilds the subscriber's topic from the canonical log when it does.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geography.areas import Areas
from safer.errors import ConfigError
from schemas.categories import CATEGORY_KIND, KIND_SOURCE, EventKind, Source
from schemas.events import (
    ControlRoomCall,
    CouncilAsb,
    FireIncident,
    Flags,
    IncidentCore,
    People,
    PoliceCrime,
    StopSearch,
)

ENVELOPE = ("id", "type", "source", "time", "record_key", "version", "status")
"""The envelope every shared record carries, whatever its agreement."""
NEVER_SHARED = frozenset({"caller_ref", "address_ref"})
"""Pseudonymised references: they link one person's or address's incidents (analyst only)."""
PARTNERSHIP = "partnership"
AGREEMENT_SUFFIX = ".toml"
SUBSCRIBER_PATTERN = r"^[a-z0-9][a-z0-9-]{0,40}$"


class Level(StrEnum):
    RECORDS = "records"
    AGGREGATES = "aggregates"


class Precision(StrEnum):
    """How finely a shared record is placed (finest first)."""

    SNAPPED_POINT = "snapped-point"
    LSOA = "lsoa"
    WARD = "ward"
    NONE = "none"


class Disclosure(StrEnum):
    """How small counts are protected in shared aggregates."""

    PROTECTED = "protected"
    """The dashboard's: 1–4 shown as fewer than 5, others rounded to 5, totals protected."""
    ONS = "ons"
    """ONS-style: counts below 10 suppressed, others rounded to 5."""


def _payload_fields() -> frozenset[str]:
    """Every field name of any incident payload (the union over kinds), but location."""
    models: tuple[type[IncidentCore], ...] = (
        PoliceCrime,
        CouncilAsb,
        ControlRoomCall,
        FireIncident,
        StopSearch,
    )
    names = {name for model in models for name in model.model_fields}
    return frozenset(names - {"location"} - NEVER_SHARED)


PAYLOAD_FIELDS = _payload_fields()
SUB_FIELDS = frozenset(
    {f"people.{name}" for name in People.model_fields}
    | {f"flags.{name}" for name in Flags.model_fields}
    | {"location.location_type"}
)
ALLOWED_FIELDS = PAYLOAD_FIELDS | SUB_FIELDS
_AREA_CODE = r"^(partnership|[EW]0[5-9]\d{6})$"


class Agreement(BaseModel):
    """One subscriber's agreement, validated (frozen; unknown keys refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subscriber: Annotated[str, Field(pattern=SUBSCRIBER_PATTERN)]
    sources: Annotated[tuple[Source, ...], Field(min_length=1)]
    level: Level
    precision: Precision
    fields: tuple[str, ...] = ()
    delay_hours: Annotated[float, Field(ge=0, le=8760)] = 0.0
    kinds: tuple[EventKind, ...] | None = None
    categories: tuple[str, ...] | None = None
    areas: tuple[Annotated[str, Field(pattern=_AREA_CODE)], ...] = (PARTNERSHIP,)
    disclosure: Disclosure = Disclosure.PROTECTED
    publish: tuple[Source, ...] = ()
    """Sources this partner may send records for through the gateway's ingest (not part of
    what it receives, so not of the revision)."""

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name.split(".")[0] in NEVER_SHARED:
                raise ValueError(f"{name} is a pseudonymised reference: it is never shared")
            if name not in ALLOWED_FIELDS:
                raise ValueError(
                    f"unknown field {name!r} (fields: {', '.join(sorted(ALLOWED_FIELDS))})"
                )
        whole = set(value)  # "people" covers "people.youth": kept once, so revisions agree
        return tuple(
            sorted(n for n in whole if n.split(".")[0] == n or n.split(".")[0] not in whole)
        )

    @field_validator("sources", "kinds", "areas", "publish")
    @classmethod
    def _sorted(cls, value: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        return None if value is None else tuple(sorted(set(value)))

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        for slug in value:
            if slug not in CATEGORY_KIND:
                raise ValueError(f"unknown category {slug!r}")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        for kind in self.kinds or ():
            if KIND_SOURCE[kind] not in self.sources:
                raise ValueError(f"kind {kind.value} is not of the sources {self._source_list}")
        for slug in self.categories or ():
            if CATEGORY_KIND[slug] not in self.allowed_kinds:
                raise ValueError(f"category {slug} is not of the agreed kinds or sources")
        if PARTNERSHIP in self.areas and len(self.areas) > 1:
            raise ValueError('areas: "partnership" already covers every other area')
        return self

    @property
    def _source_list(self) -> str:
        return ", ".join(s.value for s in self.sources)

    @property
    def allowed_kinds(self) -> frozenset[EventKind]:
        if self.kinds is not None:
            return frozenset(self.kinds)
        return frozenset(k for k, s in KIND_SOURCE.items() if s in self.sources)

    @property
    def revision(self) -> str:
        """A short hash of the validated agreement: changes whenever what it shares does."""
        shared = self.model_dump_json(exclude={"publish"})
        return hashlib.sha256(shared.encode()).hexdigest()[:12]

    @property
    def delay_s(self) -> float:
        return self.delay_hours * 3600.0


def parse_agreement(text: str, origin: str, areas: Areas | None = None) -> Agreement:
    """An agreement from TOML text; one-line ``ConfigError`` (naming ``origin``) if invalid.
    With ``areas``, every area code must be one of the partnership's wards or authorities."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not TOML: {exc}") from None
    try:
        agreement = Agreement.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {_first_error(exc)}") from None
    if areas is not None:
        known = set(areas.ward_names) | set(areas.authority_names) | {PARTNERSHIP}
        unknown = [code for code in agreement.areas if code not in known]
        if unknown:
            raise ConfigError(
                f"{origin}: areas: {', '.join(unknown)} is not a ward or authority of "
                f"{areas.name or 'the partnership'}"
            )
    return agreement


def load_agreement(path: Path, areas: Areas | None = None) -> Agreement:
    """The agreement in one TOML file (its name must be the subscriber's)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the agreement: {exc}") from None
    return parse_agreement(text, str(path), areas)


def load_agreements(
    directory: Path,
    areas: Areas | None = None,
    on_error: Callable[[ConfigError], None] | None = None,
) -> dict[str, Agreement]:
    """Every agreement in a directory (``<subscriber>.toml``), by subscriber; none if the
    directory does not exist. A file whose name is not its subscriber's is an error (the
    name is how an operator finds the agreement of a subscriber). An error is raised, or,
    with ``on_error``, reported and that file left out (one broken file must not stop
    every subscriber)."""
    if not directory.is_dir():
        return {}
    found: dict[str, Agreement] = {}
    for path in sorted(directory.glob(f"*{AGREEMENT_SUFFIX}")):
        try:
            agreement = load_agreement(path, areas)
            if path.stem != agreement.subscriber:
                raise ConfigError(
                    f"{path}: the file of subscriber {agreement.subscriber!r} must be named "
                    f"{agreement.subscriber}{AGREEMENT_SUFFIX}"
                )
        except ConfigError as exc:
            if on_error is None:
                raise
            on_error(exc)
            continue
        found[agreement.subscriber] = agreement
    return found


def _first_error(exc: ValidationError) -> str:
    """The first field error in one line: 'field: message' (never the input value)."""
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "agreement"
    message = err["msg"].removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    return f"{where}: {message}" + (f" (and {more} more)" if more else "")
