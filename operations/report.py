"""An operation's evaluation as one JSON-ready object: what ``safer operations evaluate``
prints, the dashboard shows and the PDF and Excel reports hold (times in UTC ISO 8601,
counts as integers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aggregates.buckets import hour_start
from operations.evaluation import ZoneCounts, describe_change, evaluate
from operations.periods import OperationCounts
from operations.zones import ResolvedOperation, hours_of
from schemas.categories import CATEGORY_SOURCE

PLANNED, LIVE, ENDED, FINAL = "planned", "live", "ended", "final"


def status_of(op: ResolvedOperation, now: datetime, grace_hours: Mapping[str, float]) -> str:
    """planned (before its start), live, ended (sources still in their grace) or final."""
    start, end = (hour_start(h) for h in hours_of(op.spec.period))
    if now < start:
        return PLANNED
    if now < end:
        return LIVE
    return FINAL if now >= final_at(op, grace_hours) else ENDED


def final_at(op: ResolvedOperation, grace_hours: Mapping[str, float]) -> datetime:
    """When every source of the operation is past its grace for late records."""
    grace = max(grace_hours.get(CATEGORY_SOURCE[c].value, 24.0) for c in op.categories)
    return hour_start(op.last_hour) + timedelta(hours=grace)


def _span(span: tuple[int, int]) -> dict[str, str]:
    start, end = span
    return {"start": _iso(hour_start(start)), "end": _iso(hour_start(end))}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def assessment(
    op: ResolvedOperation,
    counts: OperationCounts,
    now: datetime,
    grace_hours: Mapping[str, float],
    pending: str | None = None,
    daily: Mapping[str, list[tuple[str, dict[str, int]]]] | None = None,
) -> dict[str, Any]:
    """Everything about how the operation is doing at ``now``; ``pending``: a note that a
    newer version is still being back-filled; ``daily``: the daily series
    (``store.operation_counts.read_daily``)."""
    periods = counts.periods
    status = status_of(op, now, grace_hours)
    zones = counts.zones
    out: dict[str, Any] = {
        "operation": op.slug,
        "name": op.spec.name,
        "version": op.version,
        "status": status,
        "final": status == FINAL,
        "extracted_at": _iso(now),
        "period": _span(periods.operation_full),
        "baseline_period": _span(periods.baseline_full),
        "compared": {
            "operation": _span(periods.operation)
            | ({} if periods.complete else {"end": _iso(now)}),
            "baseline": _span(periods.baseline),
        },
        "counts": {z: {"baseline": c.baseline, "operation": c.operation} for z, c in zones.items()},
        "unplaced": {
            z: {"baseline": c.unplaced_baseline, "operation": c.unplaced_operation}
            for z, c in zones.items()
        },
        "by_category": {
            z: {cat: {"baseline": b, "operation": o} for cat, (b, o) in sorted(cats.items())}
            for z, cats in counts.by_category.items()
        },
    }
    out["design"] = design(op)
    if daily is not None:
        out["daily"] = {
            name: [{"day": day, **counts} for day, counts in series]
            for name, series in daily.items()
        }
    if periods.baseline_hours:
        out["expected_per_day"] = {
            z: round(c.baseline * 24 / periods.baseline_hours, 3) for z, c in zones.items()
        }
    caveats: list[str] = []
    if not periods.started or periods.baseline_hours == 0:
        out |= _no_statistics()
        caveats.append("The operation has not started: there is nothing to compare yet.")
    else:
        result = evaluate(dict(zones), periods.operation_hours, periods.baseline_hours)
        out |= {
            "scale": round(result.scale, 6),
            "rate_ratio": {z: r.as_json() for z, r in result.rate_ratios.items()},
            "wdd": result.wdd.as_json() if result.wdd else None,
            "wdd_reason": result.wdd_reason,
            "wdq": None if result.wdq is None else round(result.wdq, 4),
            "wdq_reason": result.wdq_reason,
            "net_effect": None if result.net_effect is None else round(result.net_effect, 2),
            "maryland_level": result.maryland_level,
            "in_words": {z: describe_change(r) for z, r in result.rate_ratios.items()},
        }
        caveats += result.caveats
    caveats += _data_caveats(op, zones, status, now, grace_hours, periods.complete)
    if pending:
        caveats.insert(0, pending)
    out["caveats"] = caveats
    return out


def design(op: ResolvedOperation) -> dict[str, Any]:
    """What the operation is, as its report states it."""
    spec = op.spec
    baseline = spec.baseline if isinstance(spec.baseline, str) else "dates"
    zones: dict[str, Any] = {}
    for name in ("target", "buffer", "control", "buffer_control"):
        zone = getattr(spec, name)
        if zone is None:
            zones[name] = "the rest of the partnership" if name == "control" else None
            continue
        zones[name] = {
            key: value
            for key, value in (
                ("wards", list(zone.wards)),
                ("lsoas", list(zone.lsoas)),
                ("geojson", zone.geojson),
                ("metres", zone.metres),
            )
            if value
        }
    return {
        "categories": list(spec.categories),
        "sources": sorted({CATEGORY_SOURCE[c].value for c in spec.categories}),
        "youth": spec.youth,
        "baseline": baseline,
        "zones": zones,
        "description": spec.description,
    }


def _no_statistics() -> dict[str, Any]:
    return {
        "scale": None,
        "rate_ratio": {},
        "wdd": None,
        "wdd_reason": "the operation has not started",
        "wdq": None,
        "wdq_reason": "the operation has not started",
        "net_effect": None,
        "maryland_level": None,
        "in_words": {},
    }


def _data_caveats(
    op: ResolvedOperation,
    zones: Mapping[str, ZoneCounts],
    status: str,
    now: datetime,
    grace_hours: Mapping[str, float],
    complete: bool,
) -> list[str]:
    found: list[str] = []
    if status in (LIVE, ENDED):
        when = final_at(op, grace_hours)
        found.append(
            "Provisional: late records may still arrive until "
            f"{_iso(when)} (each source's grace after the end); the figures are final then."
        )
    if status == LIVE and not complete:
        found.append(
            "The operation is still running: it is compared so far with the same share of "
            "its baseline."
        )
    unplaced = sum(c.unplaced_baseline + c.unplaced_operation for c in zones.values())
    if unplaced:
        found.append(
            f"{unplaced:,} records (police.uk records dated by month only) overlap a period "
            "without lying inside it and are not counted; periods of whole months count them."
        )
    if any(z.by_point for z in op.zones):
        found.append(
            "Polygon and ring zones place records by their point: police.uk points are "
            "snapped to anonymous map points, so records near a zone's edge may fall either "
            "side, and records without a point are in no polygon zone."
        )
    if op.youth != "any":
        found.append(
            f"Only records flagged {op.youth} are counted; records without an age flag are not."
        )
    return found
