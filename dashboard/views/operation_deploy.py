"""The Operations page's deploy panel: where and when to put people during a live
operation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from aggregates.config import LSOA_BREAKDOWN, ZONE_LEVEL
from aggregates.periods import end_of_this_hour
from dashboard import hotspots
from dashboard import operation_figures as logic
from dashboard.session import Viewer
from dashboard.ui import Store
from dashboard.views.hotspots import heatmap
from geography.areas import load_areas
from operations.zones import ResolvedOperation, hours_of, zone_code
from safer.settings import Settings


def deploy_panel(
    settings: Settings, who: Viewer, op: ResolvedOperation, result: dict[str, Any]
) -> None:
    """Where and when to deploy: hot-spot times inside the target, its busiest LSOAs
    (analyst) and the last 24 hours and 7 days against the baseline's expected."""
    if result["status"] != "live":
        return
    role = who.role
    start, end = hours_of(op.spec.period)
    reader = Store.of(settings).reader()
    target = zone_code(op.slug, "target")
    profile = reader.profile(ZONE_LEVEL, start, end)
    weights = [0.0] * 168
    counts: dict[tuple[str, str], int] = {}
    for (area, category), values in profile.items():
        if area == target:
            weights = [a + b for a, b in zip(weights, values, strict=True)]
            counts[area, category] = round(sum(values))
    st.subheader("Where and when to deploy")
    if hotspots.enough(counts, role):
        st.altair_chart(heatmap(hotspots.week_table(weights, role), role), width="stretch")
        st.caption(hotspots.busiest_text(weights, role))
    else:
        st.info(hotspots.too_few_text(role))
    until = end_of_this_hour(datetime.now(UTC))  # rolling windows: the current hour counts
    spans = [(until - 24, until), (until - 24 * 7, until)]
    recent = reader.windows(ZONE_LEVEL, spans, unplaced=False)
    per_day = float(result.get("expected_per_day", {}).get("target", 0.0))
    columns = st.columns(2)
    for column, label, days, rows in zip(
        columns, ("Last 24 hours", "Last 7 days"), (1, 7), recent, strict=True
    ):
        observed = sum(r.count for r in rows if r.area == target)
        _, words = logic.against_expected(observed, per_day, days)
        shown = logic.disclosed({"counts": {"target": {"n": observed}}}, role)["counts"]["target"][
            "n"
        ]
        column.metric(f"Target, {label.lower()}", shown["text"], help=words)
        column.caption(words if role.exact else "")
    if role.exact:
        rows = reader.windows(
            ZONE_LEVEL, [(start, min(end, until))], LSOA_BREAKDOWN, unplaced=False
        )[0]
        by_lsoa: dict[str, int] = {}
        for row in rows:
            if row.area == target and row.value:
                by_lsoa[row.value] = by_lsoa.get(row.value, 0) + row.count
        names = {lsoa.code: lsoa.name for lsoa in load_areas(settings.partnership).lsoas}
        top = sorted(by_lsoa.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        if top:
            st.markdown("**Busiest LSOAs in the target, this operation**")
            st.dataframe(
                pd.DataFrame(
                    [{"LSOA": names.get(c, c), "Code": c, "Incidents": n} for c, n in top]
                ),
                hide_index=True,
            )
