"""The Operations page: every operation and its status; one operation live (its zones on a
map, the daily series against the baseline's expected, the evaluation in plain words,
where and when to deploy); the form that creates and edits one (analysts); the PDF and
Excel reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import altair as alt
import pandas as pd
import pydeck as pdk
import streamlit as st
from redis.exceptions import RedisError

from aggregates.disclosure import Role
from dashboard import operation_figures as logic
from dashboard.audit import AuditLog
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import SLOW_TTL_S, redis_client
from dashboard.views.operation_deploy import deploy_panel
from dashboard.views.operation_form import OP_PARAM, edit_form, withdraw_button
from geography.areas import Areas, load_areas
from operations.documents import to_pdf
from operations.registry import Registry
from operations.report import status_of
from operations.spec import OperationError
from operations.workbook import to_xlsx
from operations.zones import ResolvedOperation
from safer.errors import ConfigError
from safer.settings import Settings
from store.keys import Keys
from store.operation_counts import Backfill, live_evaluation, live_operations

NEW = "__new__"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    del sources  # an operation names its own categories and sources
    if who.role is Role.PUBLIC:
        st.info("Operations are shown to signed-in partners and analysts.")
        return
    areas = load_areas(settings.partnership)
    registry = Registry(settings.state_dir)
    slugs = registry.slugs()
    options = {slug: (registry.latest(slug) or _missing(slug)).spec.name for slug in slugs}
    if who.role.exact:
        options[NEW] = "New operation…"
    if not options:
        st.info("No operations yet. An analyst creates them here or with `safer operations add`.")
        return
    chosen = _choose(options)
    record_view(settings, who, "operations", {"op": chosen})
    _list(settings, registry, areas)
    if chosen == NEW:
        edit_form(settings, who, registry, areas, None)
        return
    latest = registry.latest(chosen)
    if latest is None:
        return
    _backfill_state(settings)
    operation_panel(settings, who, chosen, areas)
    with st.expander(f"History: {len(registry.versions(chosen))} versions"):
        for version in reversed(registry.versions(chosen)):
            by = f" by {version.by}" if version.by else ""
            note = f" — {version.note}" if version.note else ""
            what = "withdrawn" if version.withdrawn else "saved"
            st.markdown(f"**Version {version.version}**, {what} {version.saved_at}{by}{note}")
            st.code(version.toml, language="toml")
    if who.role.exact:
        with st.expander("Edit this operation"):
            edit_form(settings, who, registry, areas, latest.resolved(areas), latest.files)
        if not latest.withdrawn:
            with st.expander("Withdraw this operation"):
                withdraw_button(settings, who, registry, chosen)


def _missing(slug: str) -> Any:
    raise OperationError(f"operation {slug} has no versions")


def _choose(options: dict[str, str]) -> str:
    if st.session_state.get(OP_PARAM) not in options:
        wanted = st.query_params.get(OP_PARAM)
        st.session_state[OP_PARAM] = wanted if wanted in options else next(iter(options))
    chosen = str(
        st.sidebar.selectbox(
            "Operation", list(options), format_func=options.__getitem__, key=OP_PARAM
        )
    )
    st.query_params[OP_PARAM] = chosen
    return chosen


def _list(settings: Settings, registry: Registry, areas: Areas) -> None:
    now = datetime.now(UTC)
    counted = _counted(settings)
    rows = []
    for slug in registry.slugs():
        latest = registry.latest(slug)
        if latest is None:
            continue
        op = latest.resolved(areas)
        live = counted.get(slug)
        rows.append(
            {
                "Operation": op.spec.name,
                "Status": "withdrawn"
                if latest.withdrawn
                else status_of(op, now, dict(settings.grace_hours)),
                "From": op.spec.start,
                "To (exclusive)": op.spec.end,
                "Version": latest.version,
                "Counted": "no"
                if latest.withdrawn and live is None
                else "yes"
                if live == latest.version
                else "back-filling"
                if live is None
                else f"version {live}",
            }
        )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _counted(settings: Settings) -> dict[str, int | None]:
    try:
        _, snapshot = live_operations(
            redis_client(settings.require_redis()), Keys(settings.redis_prefix)
        )
    except (ConfigError, RedisError):
        return {}
    return {v.slug: v.version for v in snapshot.versions}


def _backfill_state(settings: Settings) -> None:
    try:
        state = Backfill.read(redis_client(settings.require_redis()), Keys(settings.redis_prefix))
    except (ConfigError, RedisError):
        return
    if state is not None and state.state == "running":
        share = state.done / state.total if state.total else 0.0
        st.progress(
            min(share, 1.0),
            text=f"Back-filling from the canonical topic: {state.done:,} of {state.total:,}",
        )
    elif state is not None and state.state == "failed":
        st.error(f"The last back-fill failed ({state.detail}); the worker tries again.")


@st.fragment(run_every=SLOW_TTL_S)
def operation_panel(settings: Settings, who: Viewer, slug: str, areas: Areas) -> None:
    role = who.role
    now = datetime.now(UTC)
    try:
        result, op = live_evaluation(redis_client(settings.require_redis()), settings, slug, now)
    except OperationError as exc:
        st.info(f"{exc}.")
        return
    except (ConfigError, RedisError) as exc:
        st.error(f"Redis cannot be read ({type(exc).__name__}: {exc}). Retrying automatically.")
        return
    shown = logic.disclosed(result, role)
    st.subheader(f"{result['name']} — {result['status']}")
    st.caption(
        f"Version {result['version']}. Operation {op.spec.start} to {op.spec.end} (end "
        f"exclusive); baseline {op.spec.baseline_period.start} to {op.spec.baseline_period.end}. "
        + ("Final." if result["final"] else "Provisional: late records may still arrive.")
    )
    _headline(shown)
    left, right = st.columns([3, 2])
    with left:
        st.pydeck_chart(_deck(op), height=360)
        st.caption(
            "Target red, buffer amber, control grey (the rest of the partnership unless "
            "the operation names its control)."
        )
    with right:
        _evaluation(shown)
    if role.exact and result.get("daily"):
        _daily(result)
    try:
        deploy_panel(settings, who, op, result)
    except (ConfigError, RedisError) as exc:
        st.error(f"Redis cannot be read ({type(exc).__name__}: {exc}). Retrying automatically.")
    with st.expander("Caveats", expanded=True):
        for caveat in shown["caveats"]:
            st.markdown(f"- {caveat}")
    _exports(settings, who, shown, op, areas)


def _headline(shown: dict[str, Any]) -> None:
    target = shown["counts"].get("target", {})
    columns = st.columns(3)
    columns[0].metric(
        "Target, baseline (compared share)", target.get("baseline", {}).get("text", "–")
    )
    columns[1].metric("Target, operation so far", target.get("operation", {}).get("text", "–"))
    words = shown.get("in_words", {}).get("target")
    columns[2].metric("Maryland level", shown.get("maryland_level") or "–")
    if words:
        st.markdown(f"**Target:** {words}.")


def _evaluation(shown: dict[str, Any]) -> None:
    rows = []
    for zone, counts in shown["counts"].items():
        ratio = shown["rate_ratio"].get(zone) or {}
        rows.append(
            {
                "Zone": logic.ZONE_LABELS.get(zone, zone),
                "Baseline": counts["baseline"]["text"],
                "Operation": counts["operation"]["text"],
                "Rate ratio": _fixed(ratio.get("estimate"), 2),
                "95% interval": _interval(ratio),
                "p": _fixed(ratio.get("p"), 3),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    wdd = shown.get("wdd")
    if wdd:
        direction = "fewer" if wdd["estimate"] < 0 else "more"
        st.markdown(
            f"**WDD** {wdd['estimate']:+,.0f}: {abs(wdd['estimate']):,.0f} incidents {direction} "
            "than the control's trend predicts, displacement into the buffer included "
            f"(z {wdd['z']:.2f}, p {wdd['p']:.3f})."
        )
    else:
        st.markdown(
            "**WDD**: not shown (" + (shown.get("wdd_reason") or "no statistics yet") + ")."
        )
    if shown.get("wdq") is not None:
        st.markdown(
            f"**WDQ** {shown['wdq']:.2f} (above 0: benefits spread to the buffer; "
            "below 0: displacement)."
        )
    elif shown.get("wdq_reason"):
        st.caption(f"WDQ not defined: {shown['wdq_reason']}.")
    if shown.get("net_effect") is not None:
        st.markdown(
            f"**Net effect** {shown['net_effect']:,.0f} incidents fewer than the control's "
            "trend predicts."
        )


def _fixed(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _interval(ratio: dict[str, Any]) -> str:
    low, high = ratio.get("low"), ratio.get("high")
    if low is None and high is None:
        return "–"
    return f"{low:.2f} – {high:.2f}" if high is not None else f"{low:.2f} – unbounded"


def _deck(op: ResolvedOperation) -> pdk.Deck:
    features = logic.zone_features(op)
    target = op.zone("target")
    lat, lon = 53.37, -3.05
    if target is not None and target.outline is not None:
        from geography.bng import to_wgs84

        x, y = target.outline.representative_point().coords[0]
        lat, lon = to_wgs84(x, y)
    layer = pdk.Layer(
        "GeoJsonLayer",
        features,
        pickable=True,
        stroked=True,
        filled=True,
        get_fill_color="properties.fill",
        get_line_color="properties.line",
        line_width_min_pixels=1.5,
    )
    return pdk.Deck(
        layers=[layer],
        initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=11.3),
        map_provider=None,
        tooltip={"text": "{tooltip}"},
    )


def _daily(result: dict[str, Any]) -> None:
    days = result["daily"]["operation"]
    expected = result.get("expected_per_day", {}).get("target", 0.0)
    frame = pd.DataFrame(
        {"Day": [d["day"] for d in days], "Target": [d.get("target", 0) for d in days]}
    )
    frame["Day"] = pd.to_datetime(frame["Day"])
    today = pd.Timestamp(datetime.now(UTC).date())
    frame = frame[frame["Day"] <= today]
    st.subheader("Target per day against the baseline's expected")
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#c82828")
        .encode(
            x=alt.X("Day:T", title=None),
            y=alt.Y("Target:Q", title="Incidents"),
            tooltip=["Day:T", "Target:Q"],
        )
    )
    line = (
        alt.Chart(pd.DataFrame({"Expected": [expected]}))
        .mark_rule(strokeWidth=2)
        .encode(y="Expected:Q")
    )
    st.altair_chart((bars + line).properties(height=220), width="stretch")
    st.caption(
        f"Bars: target incidents per day; line: the baseline's {expected:.2f} a day. Records "
        "dated by month only (police.uk) are in no day."
    )


def _exports(
    settings: Settings, who: Viewer, shown: dict[str, Any], op: ResolvedOperation, areas: Areas
) -> None:
    audit = AuditLog(settings.audit_path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    names = areas.ward_names

    def pdf() -> bytes:
        audit.write(
            who.name, who.role, "export", page="operations", format="pdf", filters={"op": op.slug}
        )
        return to_pdf(_plain(shown), op, names)

    def xlsx() -> bytes:
        audit.write(
            who.name, who.role, "export", page="operations", format="xlsx", filters={"op": op.slug}
        )
        return to_xlsx(_plain(shown), names)

    left, right = st.columns(2)
    left.download_button(
        "Download the report (PDF)",
        data=pdf,
        file_name=f"safer-{op.slug}-{who.role.value}-{stamp}.pdf",
        mime="application/pdf",
        on_click="ignore",
        key="op-pdf",
    )
    right.download_button(
        "Download the figures (Excel)",
        data=xlsx,
        file_name=f"safer-{op.slug}-{who.role.value}-{stamp}.xlsx",
        mime=XLSX,
        on_click="ignore",
        key="op-xlsx",
    )


def _plain(shown: dict[str, Any]) -> dict[str, Any]:
    """A disclosed evaluation back in the reports' shape: counts as numbers (a hidden count
    as None)."""
    out = dict(shown)
    out["counts"] = {
        zone: {period: cell["value"] for period, cell in pair.items()}
        for zone, pair in shown["counts"].items()
    }
    return out
