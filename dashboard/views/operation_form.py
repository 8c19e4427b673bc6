"""The Operations page's form: an analyst creates or edits an operation (a new version,
which the worker back-fills)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import streamlit as st

from dashboard import operation_figures as logic
from dashboard.audit import AuditLog
from dashboard.session import Viewer
from geography.areas import Areas
from operations.registry import Registry
from operations.spec import OperationError
from operations.zones import ResolvedOperation
from safer.settings import Settings
from schemas.categories import ACTIVITY_CATEGORIES, CATEGORY_NAMES

OP_PARAM = "op"


def edit_form(
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


def withdraw_button(settings: Settings, who: Viewer, registry: Registry, slug: str) -> None:
    """An analyst withdraws an operation (counted no more, history kept; audited)."""
    why = st.text_input("Why is it withdrawn?", key=f"withdraw-why-{slug}")
    if not st.button("Withdraw this operation", key=f"withdraw-{slug}"):
        return
    try:
        version = registry.withdraw(slug, by=who.name, note=why.strip())
    except OperationError as exc:
        st.error(str(exc))
        return
    AuditLog(settings.audit_path).write(
        who.name,
        who.role,
        "operation-withdrawn",
        page="operations",
        filters={"op": slug, "version": version.version},
    )
    st.success(f"Withdrawn (version {version.version}); saving it again restores it.")


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    raise OperationError("a date is required")
