"""The Operations page: every operation and its status; one operation live (its zones on a
map, the daily series against the baseline's expected, the evaluation in plain words,
where and when to deploy); the form that creates and edits one (analysts); the PDF and
Excel reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import altair as alt
import pandas as pd
import pydeck as pdk
import streamlit as st
from redis.exceptions import RedisError

from aggregates.config import LSOA_BREAKDOWN, ZONE_LEVEL
from dashboard import hotspots
from dashboard import operation_figures as logic
from dashboard.audit import AuditLog
from dashboard.disclosure import Role
from dashboard.session import Viewer, record_view
from dashboard.ui import SLOW_TTL_S, Store, redis_client
from dashboard.views.hotspots import heatmap
from geography.areas import Areas, load_areas
from operations.documents import to_pdf, to_xlsx
from operations.registry import Registry
from operations.report import status_of
from operations.spec import OperationError
from operations.zones import ResolvedOperation, hours_of, zone_code
from safer.errors import ConfigError
from safer.settings import Settings
from schemas.categories import ACTIVITY_CATEGORIES, CATEGORY_NAMES
from store.keys import Keys
from store.operation_counts import Backfill, live_evaluation, live_operations

OP_PARAM = "op"
NEW = "__new__"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def page(settings: Settings, who: Viewer, sources: list[str]) -> None:
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
        _form(settings, who, registry, areas, None)
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
            st.markdown(f"**Version {version.version}**, saved {version.saved_at}{by}{note}")
            st.code(version.toml, language="toml")
    if who.role.exact:
        with st.expander("Edit this operation"):
            _form(settings, who, registry, areas, latest.resolved(areas), latest.files)


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
                "Status": status_of(op, now, dict(settings.grace_hours)),
                "From": op.spec.start,
                "To (exclusive)": op.spec.end,
                "Version": latest.version,
                "Counted": "yes"
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
        _deploy(settings, who, op, result)
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
            "**WDD**: not shown (" + (shown.get("wdq_reason") or "no statistics yet") + ")."
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


def _deploy(settings: Settings, who: Viewer, op: ResolvedOperation, result: dict[str, Any]) -> None:
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
    now_hour = int(datetime.now(UTC).timestamp() // 3600)
    spans = [(now_hour - 24, now_hour), (now_hour - 24 * 7, now_hour)]
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
            ZONE_LEVEL, [(start, min(end, now_hour + 1))], LSOA_BREAKDOWN, unplaced=False
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


def _form(
    settings: Settings,
    who: Viewer,
    registry: Registry,
    areas: Areas,
    current: ResolvedOperation | None,
    files: dict[str, str] | None = None,
) -> None:
    """Create (``current`` None) or edit an operation; saving makes a new version, which the
    worker back-fills."""
    today = datetime.now(UTC).date()
    given = (
        logic.choice_of(current, files or {})
        if current
        else logic.FormChoice(name="", categories=[], start=today, end=today + timedelta(days=28))
    )
    key = f"op-form-{current.slug if current else 'new'}"
    ward_names = dict(areas.ward_names)
    lsoa_names = {lsoa.code: f"{lsoa.name} ({lsoa.code})" for lsoa in areas.lsoas}
    categories = {c: n for c, n in CATEGORY_NAMES.items() if c not in ACTIVITY_CATEGORIES}
    with st.form(key):
        st.markdown("**" + ("Edit " + given.name if current else "New operation") + "**")
        name = st.text_input("Name", value=given.name, key=f"{key}-name")
        description = st.text_area(
            "Description (optional)", value=given.description, key=f"{key}-description"
        )
        chosen_categories = st.multiselect(
            "Categories",
            list(categories),
            default=list(given.categories),
            format_func=categories.__getitem__,
            key=f"{key}-categories",
        )
        youth = st.selectbox(
            "Who",
            ["any", "youth", "adult"],
            index=["any", "youth", "adult"].index(given.youth),
            format_func={
                "any": "Anyone",
                "youth": "Youth only",
                "adult": "Adults only",
            }.__getitem__,
            key=f"{key}-youth",
        )
        start = st.date_input("Start (first day)", value=given.start, key=f"{key}-start")
        end = st.date_input("End (day after the last)", value=given.end, key=f"{key}-end")
        baseline = st.selectbox(
            "Baseline",
            list(logic.BASELINES),
            index=list(logic.BASELINES).index(given.baseline),
            format_func=logic.BASELINES.__getitem__,
            key=f"{key}-baseline",
        )
        b_start = st.date_input(
            "Baseline start (if dates)",
            value=given.baseline_start or given.start - timedelta(days=28),
            key=f"{key}-bstart",
        )
        b_end = st.date_input(
            "Baseline end (if dates)", value=given.baseline_end or given.start, key=f"{key}-bend"
        )
        target_wards = st.multiselect(
            "Target wards",
            list(ward_names),
            default=list(given.target_wards),
            format_func=ward_names.__getitem__,
            key=f"{key}-twards",
        )
        target_lsoas = st.multiselect(
            "Target LSOAs",
            list(lsoa_names),
            default=list(given.target_lsoas),
            format_func=lsoa_names.__getitem__,
            key=f"{key}-tlsoas",
        )
        upload = st.file_uploader(
            "Target polygons (GeoJSON: parks, beaches)",
            type=["geojson", "json"],
            key=f"{key}-geojson",
        )
        metres = st.number_input(
            "Buffer ring around the target (metres; 0 for none)",
            min_value=0,
            max_value=5000,
            value=int(given.buffer_metres),
            step=50,
            key=f"{key}-metres",
        )
        buffer_wards = st.multiselect(
            "Buffer wards (instead of, or as well as, a ring)",
            list(ward_names),
            default=list(given.buffer_wards),
            format_func=ward_names.__getitem__,
            key=f"{key}-bwards",
        )
        control_wards = st.multiselect(
            "Control wards (none: the rest of the partnership)",
            list(ward_names),
            default=list(given.control_wards),
            format_func=ward_names.__getitem__,
            key=f"{key}-cwards",
        )
        note = st.text_input("What changed (kept in the history)", key=f"{key}-note")
        submitted = st.form_submit_button("Save operation")
    if not submitted:
        return
    geo_name, files_out = given.target_geojson, dict(given.files)
    if upload is not None:
        geo_name = upload.name
        files_out = {geo_name: upload.getvalue().decode("utf-8-sig", errors="replace")}
    choice = logic.FormChoice(
        name=name.strip(),
        slug=given.slug,
        description=description.strip(),
        categories=chosen_categories,
        start=_date(start),
        end=_date(end),
        baseline=baseline,
        baseline_start=_date(b_start),
        baseline_end=_date(b_end),
        youth=youth,
        target_wards=target_wards,
        target_lsoas=target_lsoas,
        target_geojson=geo_name,
        buffer_metres=float(metres),
        buffer_wards=buffer_wards,
        control_wards=control_wards,
        files=files_out,
    )
    text = logic.toml_of(choice)
    try:
        version = registry.save(
            text,
            areas,
            files_out,
            by=who.name,
            note=note.strip(),
            origin="the form",
            expect_new=current is None,
        )
    except OperationError as exc:
        st.error(str(exc).removeprefix("the form: "))
        return
    AuditLog(settings.audit_path).write(
        who.name,
        who.role,
        "operation-saved",
        page="operations",
        filters={"op": version.slug, "version": version.version},
    )
    st.success(
        f"Saved {version.spec.name}, version {version.version}. The worker back-fills it now; "
        "its figures appear when that is done."
    )
    st.session_state[OP_PARAM] = version.slug
    st.query_params[OP_PARAM] = version.slug


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    raise OperationError("a date is required")
