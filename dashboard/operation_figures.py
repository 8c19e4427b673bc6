"""The Operations page's logic (pure: no Streamlit; not named ``operations.py`` like the
page, because Streamlit puts this folder first on ``sys.path`` and the name would hide the
``operations`` package): an operation file from the form's
choices, an evaluation disclosed for a role, the zones as map features, the deploy panel's
figures.

Disclosure: the analyst sees everything. A partner sees each count disclosed under the
dashboard's rules (``aggregates.disclosure``: fewer than 5 hidden, others rounded to 5), and
a zone's statistics only when none of its counts is hidden (a rate ratio and its p-value
would give small counts back); the WDD only when no count of any zone is hidden, rounded
to whole incidents, without its variance (the variance is the exact sum of the counts).
The daily series and the per-category counts are the analyst's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aggregates.disclosure import THRESHOLD, Role, disclose
from operations.text import ZONE_COLOURS as REPORT_COLOURS
from operations.text import ZONE_LABELS as ZONE_LABELS
from operations.zones import ResolvedOperation, to_geojson

ZONE_COLOURS = {zone: list(rgb) for zone, rgb in REPORT_COLOURS.items()}
"""The zones' colours on the page's map: the reports' (``operations.text``)."""
BASELINES = {
    "previous-period": "The same length just before",
    "same-period-last-year": "The same period last year (364 days earlier)",
    "dates": "Dates I choose",
}


@dataclass(frozen=True, slots=True)
class FormChoice:
    """What the form collected, before it becomes an operation file."""

    name: str
    categories: Sequence[str]
    start: date
    end: date
    baseline: str = "previous-period"
    baseline_start: date | None = None
    baseline_end: date | None = None
    youth: str = "any"
    description: str = ""
    slug: str = ""
    target_wards: Sequence[str] = ()
    target_lsoas: Sequence[str] = ()
    target_geojson: str | None = None
    buffer_metres: float = 0.0
    buffer_wards: Sequence[str] = ()
    control_wards: Sequence[str] = ()
    files: Mapping[str, str] = field(default_factory=dict)


def _s(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


def toml_of(choice: FormChoice) -> str:
    """The operation file the form describes (``operations.spec`` checks it)."""
    lines = [f"name = {_s(choice.name)}"]
    if choice.slug:
        lines.append(f"slug = {_s(choice.slug)}")
    if choice.description:
        lines.append(f"description = {_s(choice.description)}")
    lines += [
        f"categories = {_list(choice.categories)}",
        f"youth = {_s(choice.youth)}",
        f"start = {choice.start.isoformat()}",
        f"end = {choice.end.isoformat()}",
    ]
    if choice.baseline == "dates" and choice.baseline_start and choice.baseline_end:
        lines.append(
            f"baseline = {{ start = {choice.baseline_start.isoformat()}, "
            f"end = {choice.baseline_end.isoformat()} }}"
        )
    elif choice.baseline != "dates":
        lines.append(f"baseline = {_s(choice.baseline)}")
    lines += [
        "",
        "[target]",
        *_zone(choice.target_wards, choice.target_lsoas, choice.target_geojson),
    ]
    if choice.buffer_metres or choice.buffer_wards:
        lines += ["", "[buffer]"]
        lines += [f"metres = {choice.buffer_metres:g}"] if choice.buffer_metres else []
        lines += _zone(choice.buffer_wards, (), None)
    if choice.control_wards:
        lines += ["", "[control]", *_zone(choice.control_wards, (), None)]
    return "\n".join(lines) + "\n"


def _zone(wards: Sequence[str], lsoas: Sequence[str], geojson: str | None) -> list[str]:
    out = []
    if wards:
        out.append(f"wards = {_list(wards)}")
    if lsoas:
        out.append(f"lsoas = {_list(lsoas)}")
    if geojson:
        out.append(f"geojson = {_s(geojson)}")
    return out


def choice_of(op: ResolvedOperation, files: Mapping[str, str]) -> FormChoice:
    """The form's fields of a saved operation (to edit it)."""
    spec = op.spec
    baseline = spec.baseline if isinstance(spec.baseline, str) else "dates"
    period = spec.baseline_period
    buffer = spec.buffer
    return FormChoice(
        name=spec.name,
        slug=spec.slug,
        description=spec.description,
        categories=list(spec.categories),
        start=spec.start,
        end=spec.end,
        baseline=baseline,
        baseline_start=period.start,
        baseline_end=period.end,
        youth=spec.youth,
        target_wards=list(spec.target.wards),
        target_lsoas=list(spec.target.lsoas),
        target_geojson=spec.target.geojson,
        buffer_metres=(buffer.metres or 0.0) if buffer else 0.0,
        buffer_wards=list(buffer.wards) if buffer else [],
        control_wards=list(spec.control.wards) if spec.control else [],
        files=dict(files),
    )


def disclosed(result: Mapping[str, Any], role: Role) -> dict[str, Any]:
    """The evaluation as ``role`` may see it (module docstring); counts become
    ``{"value": int | None, "text": str}``."""
    out = dict(result)
    hidden_zones: set[str] = set()
    counts: dict[str, dict[str, dict[str, Any]]] = {}
    for zone, pair in result["counts"].items():
        shown = {period: disclose(n, role) for period, n in pair.items()}
        counts[zone] = {p: {"value": s.value, "text": s.text} for p, s in shown.items()}
        if any(s.suppressed for s in shown.values()):
            hidden_zones.add(zone)
    out["counts"] = counts
    if role.exact:
        return out
    why = f"hidden: a count below {THRESHOLD}"
    out["rate_ratio"] = {
        z: r for z, r in result.get("rate_ratio", {}).items() if z not in hidden_zones
    }
    out["in_words"] = {
        z: (why if z in hidden_zones else words) for z, words in result.get("in_words", {}).items()
    }
    wdd = result.get("wdd")
    if hidden_zones or wdd is None:
        out["wdd"] = None
        out["net_effect"] = None
        out["wdq"] = None
        out["wdq_reason"] = why if hidden_zones else result.get("wdq_reason")
        out["wdd_reason"] = why if hidden_zones else result.get("wdd_reason")
    else:
        out["wdd"] = {"estimate": round(wdd["estimate"]), "z": wdd["z"], "p": wdd["p"]}
        out["net_effect"] = None if result["net_effect"] is None else round(result["net_effect"])
    out.pop("by_category", None)
    out.pop("daily", None)
    out["unplaced"] = {
        z: {p: disclose(n, role).text for p, n in pair.items()}
        for z, pair in result.get("unplaced", {}).items()
    }
    out["expected_per_day"] = {}
    return out


def zone_features(op: ResolvedOperation) -> dict[str, Any]:
    """The zones as a GeoJSON FeatureCollection (WGS84) with fill, line and tooltip."""
    features = []
    for zone in op.zones:
        if zone.outline is None or zone.outline.is_empty:
            continue
        colour = ZONE_COLOURS.get(zone.name, [120, 120, 120])
        alpha = 40 if zone.rest else 110
        features.append(
            {
                "type": "Feature",
                "geometry": to_geojson(zone.outline, simplify_m=10.0 if zone.rest else 3.0),
                "properties": {
                    "zone": zone.name,
                    "tooltip": ZONE_LABELS.get(zone.name, zone.name),
                    "fill": [*colour, alpha],
                    "line": colour,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def hot_spot_table(weights: Sequence[float]) -> list[list[float]]:
    """168 hour-of-week weights (0 = Monday 00:00) as 7 rows (Monday first) of 24 hours."""
    return [list(weights[day * 24 : day * 24 + 24]) for day in range(7)]


def against_expected(observed: int, expected_per_day: float, days: float) -> tuple[float, str]:
    """The expected count over ``days`` and how the observed count compares in words."""
    expected = expected_per_day * days
    if expected <= 0:
        return expected, "no baseline incidents to compare with"
    change = (observed - expected) / expected * 100
    word = "above" if change > 0 else "below"
    return expected, f"{abs(change):.0f}% {word} the baseline's {expected:.1f}"
