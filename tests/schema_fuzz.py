"""Hypothesis strategies drawn from the exported JSON Schemas: valid messages and near misses.

``hypothesis-jsonschema`` would be the library for this, but its 0.23 release fails inside
current Hypothesis (``'many' object has no attribute 'more'`` while drawing an object), so
this walks the keywords our exported schemas use (``$ref``, ``oneOf``/``anyOf``, ``const``,
``enum``, ``type``, ``properties``/``required``/``additionalProperties``, ``items``,
``pattern``, ``format: date-time``, ``minimum``/``maximum``, ``minLength``/``maxLength``).

Each value is, most of the time, what the schema allows; otherwise a near miss: every bound
±1 (numbers, lengths, the earliest and the latest plausible time), a required field left out,
an unknown field added, an enum value that is not one, another JSON type, extreme unicode,
huge numbers. ``hints`` replace the strategy of a named property (e.g. area codes of the
partnership, so that valid messages also land in areas and get counted).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

Schema = dict[str, Any]
Hints = dict[str, st.SearchStrategy[Any]]
NEAR_MISS = 0.03  # the chance that one value is a near miss (a message holds dozens)


@st.composite
def rarely(
    draw: st.DrawFn, p: float, rare: st.SearchStrategy[Any], usual: st.SearchStrategy[Any]
) -> Any:
    """``rare`` with probability ``p``, else ``usual``. Hypothesis' own numbers favour their
    ends and zero (each example tends to take every rare branch or none), so the choice comes
    from a ``Random`` seeded by Hypothesis (uniform, unlike its own draws)."""
    chance = draw(st.randoms(use_true_random=True)).random()
    return draw(rare if chance < p else usual)


EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_ANY_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.just([]),
    st.just({}),
)
_EXTREME_TEXT = st.text(
    st.characters(codec="utf-8", categories=["Lu", "Ll", "Lo", "Mn", "Nd", "Zs", "So", "Cf"]),
    min_size=0,
    max_size=300,
)


def _times(latest: datetime) -> st.SearchStrategy[str]:
    """Plausible zoned times mostly; the earliest and latest bounds ±1 s sometimes."""
    zones = st.sampled_from([UTC, *(timezone_of(h) for h in (-5, -1, 1, 5))])
    plausible = st.builds(
        lambda at, zone: at.astimezone(zone).isoformat(),
        st.datetimes(
            min_value=EARLIEST.replace(tzinfo=None),
            max_value=latest.replace(tzinfo=None) - timedelta(minutes=20),
            timezones=st.just(UTC),
        ),
        zones,
    )
    edges = st.sampled_from(
        [
            EARLIEST.isoformat(),
            (EARLIEST - timedelta(seconds=1)).isoformat(),
            "0001-01-01T00:30:00+01:00",
            "0001-01-01T00:00:00Z",
            "1900-01-01T00:00:00Z",
            "2100-01-01T00:00:00Z",
            "9999-12-31T23:30:00Z",
            "9999-12-31T23:30:00-05:00",
            (latest + timedelta(minutes=10)).isoformat(),
            (latest + timedelta(minutes=20)).isoformat(),
        ]
    )
    return rarely(0.1, edges, plausible)


def timezone_of(hours: int) -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=hours))


class SchemaFuzz:
    """Strategies for the documents of one exported JSON Schema."""

    def __init__(
        self, schema: Schema, hints: Hints | None = None, near_misses: bool = True
    ) -> None:
        """``near_misses=False``: valid values only (still at their bounds now and then)."""
        self._root = schema
        self._hints = hints or {}
        self._misses = near_misses
        self._latest = datetime.now(UTC)

    def documents(self) -> st.SearchStrategy[Any]:
        return self._valid(self._resolve(self._root))

    def _resolve(self, node: Schema) -> Schema:
        while "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = {**self._root["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def _node(self, node: Schema) -> st.SearchStrategy[Any]:
        """A value of ``node``: a leaf is a near miss now and then; an object's near misses
        are its own (a required field left out, an unknown one added)."""
        node = self._resolve(node)
        valid = self._valid(node)
        return valid if node.get("type") == "object" else self._near_miss(node, valid)

    def _near_miss(self, node: Schema, valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        """Rarely: a value just outside what ``node`` allows."""
        if not self._misses:
            return valid
        misses = [_ANY_JSON]
        if "enum" in node or "const" in node:
            misses.append(st.text(max_size=30))
        if node.get("type") == "string":
            misses.append(_EXTREME_TEXT)
        if node.get("type") == "integer":
            misses.append(st.sampled_from([2**63, -(2**63) - 1, 10**30, 0, -1]))
        return rarely(NEAR_MISS, st.one_of(*misses), valid)

    def _valid(self, node: Schema) -> st.SearchStrategy[Any]:
        if "oneOf" in node or "anyOf" in node:
            choices: list[Schema] = node.get("oneOf") or node.get("anyOf") or []
            return st.one_of(*(self._node(n) for n in choices))
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        kind = node.get("type")
        if kind == "object":
            return self._object(node)
        if kind == "array":
            return st.lists(self._node(node["items"]), max_size=4)
        if kind == "string":
            return self._string(node)
        if kind == "integer":
            return self._number(node, st.integers)
        if kind == "number":
            return self._number(node, st.floats)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return _ANY_JSON

    def _string(self, node: Schema) -> st.SearchStrategy[str]:
        if node.get("format") == "date-time":
            return _times(self._latest)
        if "pattern" in node:
            low, high = node.get("minLength", 0), node.get("maxLength", 200)
            drawn: st.SearchStrategy[str] = st.from_regex(str(node["pattern"]), fullmatch=True)
            return drawn.filter(lambda s: low - 1 <= len(s) <= high + 1)
        low, high = node.get("minLength", 0), node.get("maxLength", 120)
        return st.text(min_size=max(0, low - 1), max_size=high + 1)

    def _number(self, node: Schema, make: Any) -> st.SearchStrategy[Any]:
        low, high = node.get("minimum"), node.get("maximum")
        inside = (
            make(min_value=low, max_value=high)
            if make is st.integers
            else make(min_value=low, max_value=high, allow_nan=False)
        )
        edges = [x for b in (low, high) if b is not None for x in (b, b - 1, b + 1)]
        if not edges:
            return inside
        return rarely(0.1, st.sampled_from(edges), inside)

    def _object(self, node: Schema) -> st.SearchStrategy[dict[str, Any]]:
        props: dict[str, Schema] = node.get("properties", {})
        required = set(node.get("required", ()))
        leave_out, add_unknown = (0.01, 0.01) if self._misses else (0.0, 0.0)
        strategies = {  # built once: building strategies costs more than drawing from them
            name: self._hints[name] if name in self._hints else self._node(sub)
            for name, sub in props.items()
        }

        @st.composite
        def draw_object(draw: st.DrawFn) -> dict[str, Any]:
            out: dict[str, Any] = {}
            chances = draw(st.randoms(use_true_random=True))
            for name, strategy in strategies.items():
                if chances.random() >= (leave_out if name in required else 0.5):
                    out[name] = draw(strategy)
            if chances.random() < add_unknown:
                out[draw(st.text(min_size=1, max_size=12))] = draw(_ANY_JSON)
            return out

        return draw_object()
