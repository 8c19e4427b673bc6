"""Alerts: the active ones (also at the top of Live) and the history, with filters; an
analyst acknowledges an alert (audited). What each role sees: ``dashboard.alert_lines``."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.alert_lines import (
    SHARED_NOTE,
    STATE_LABELS,
    WINDOW_LABELS,
    AlertLine,
    HistoryFilter,
    active_lines,
    area_names,
    filter_options,
    history_frame,
)
from dashboard.audit import AuditLog
from dashboard.data import local_time
from dashboard.exports import ExportView
from dashboard.selection import Selection
from dashboard.session import Viewer, record_view
from dashboard.ui import (
    export_buttons,
    forget_export,
    load_alerts,
    read_alerts,
    read_or_report,
    show_exports,
)
from safer.settings import Settings
from store.alert_state import AlertSnapshot

HOW = (
    "Raised by the stream when a window's count is far above what is expected of that "
    "area at that hour of the week (a negative-binomial model of the trailing weeks, "
    "false discoveries held at {fdr:.0%} across every area and group), and when an "
    "incident falls near earlier ones under a near-repeat or cross-agency rule."
)


def show_active(
    settings: Settings, who: Viewer, snapshot: AlertSnapshot, limit: int | None = None
) -> list[AlertLine]:
    """The active alerts, newest first, each with its sentence and a link to its area; with
    a ``limit`` (the Live screen), the newest that many, a link to the Alerts page for the
    rest, and the model's explanation left to that page."""
    lines = active_lines(snapshot, who.role)
    status = snapshot.status
    note = status.text if status is not None and not status.enough else ""
    how = HOW.format(fdr=settings.alert_fdr)
    compact = limit is not None
    heading = f"Active alerts ({len(lines)})" if lines else "Active alerts"
    # on the Live screen, once alerts fill the space, the note is the heading's (?)
    st.subheader(heading, help=(note or None) if compact and lines else None)
    if note and not compact:
        st.info(note)
    if not lines:
        after = note if compact else how
        st.caption(f"No active alerts. {after}".strip())
        return lines
    for line in lines[:limit]:
        seen = f" — acknowledged by {line.acknowledged.by}" if line.acknowledged else ""
        raised = local_time(line.raised, "%H:%M")
        sentence = line.sentence if compact else f"**{line.sentence}**"
        st.warning(
            f"{sentence} Raised {raised}. [Open {line.area_name}]({line.link}){seen}",
            icon=":material/notifications_active:",
        )
    if limit is None:
        st.caption(how)
    elif len(lines) > limit:
        st.markdown(f"[{len(lines) - limit} more on the Alerts page](?page=alerts)")
    return lines


def _acknowledge(settings: Settings, who: Viewer) -> None:
    """An analyst acknowledges an active alert (first come is kept; audited). Outside the
    refreshing panel, so a refresh never resets the form under the user's typing."""
    snapshot = load_alerts(settings)
    if snapshot is None:
        return
    lines = active_lines(snapshot, who.role)
    waiting = {line.id: line.sentence for line in lines if line.acknowledged is None}
    if not waiting:
        return
    with st.form("acknowledge"):
        st.markdown("**Acknowledge an alert** (recorded with your name in the audit log)")
        chosen = st.selectbox("Alert", list(waiting), format_func=waiting.__getitem__)
        note = st.text_input("Note (optional)")
        sent = st.form_submit_button("Acknowledge")
    if not sent or chosen is None:
        return
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    done = read_or_report(
        settings,
        lambda store: store.alerts().acknowledge(str(chosen), who.name, at, note.strip()),
    )
    if done is None:
        return
    AuditLog(settings.audit_path).write(
        who.name, who.role, "alert-acknowledged", page="alerts", filters={"alert": chosen}
    )
    if done:
        read_alerts.clear()  # the page shows it acknowledged at once
        st.rerun()
    st.info("Someone acknowledged it already.")


def _filters(snapshot: AlertSnapshot, who: Viewer) -> HistoryFilter:
    options = filter_options(snapshot.history, who.role)
    names = area_names(snapshot.history)
    states = [s for s in STATE_LABELS if who.role.exact or s != "updated"]
    return HistoryFilter(
        states=tuple(st.sidebar.multiselect("State", states, format_func=STATE_LABELS.__getitem__)),
        groups=tuple(st.sidebar.multiselect("Group", options["groups"])),
        windows=tuple(
            st.sidebar.multiselect(
                "Window", list(WINDOW_LABELS), format_func=WINDOW_LABELS.__getitem__
            )
        ),
        area=st.sidebar.selectbox(
            "Area", [None, *options["areas"]], format_func=lambda a: names.get(a, "All areas")
        ),
    )


def alerts_panel(settings: Settings, who: Viewer, chosen: HistoryFilter) -> None:
    """The active alerts and the history; rerun by itself every refresh period."""
    snapshot = load_alerts(settings)
    if snapshot is None:
        return
    lines = show_active(settings, who, snapshot)
    st.subheader("History")
    table = history_frame(snapshot.history, who.role, chosen, snapshot.acknowledged)
    if table.empty:
        st.info("No alert messages match these filters.")
    else:
        st.dataframe(table, hide_index=True, width="stretch")
    caveats = [HOW.format(fdr=settings.alert_fdr)]
    if not who.role.exact:
        caveats.append(SHARED_NOTE)
        st.caption(SHARED_NOTE)
    active = pd.DataFrame(
        [{"Raised (UK)": local_time(x.raised), "Alert": x.sentence} for x in lines]
    )
    export = ExportView(
        "Alerts",
        who.role,
        {
            "state": ", ".join(chosen.states) or "all",
            "group": ", ".join(chosen.groups) or "all",
            "window": ", ".join(chosen.windows) or "all",
            "area": chosen.area or "all",
        },
        datetime.now(UTC),
        [("Active alerts", active), ("Alert history", table)],
        caveats,
    )
    show_exports(export, "alerts", {"state": list(chosen.states), "area": chosen.area})


def page(settings: Settings, who: Viewer, sources: Selection) -> None:
    snapshot = load_alerts(settings)
    if snapshot is None:
        return
    chosen = _filters(snapshot, who)
    record_view(
        settings,
        who,
        "alerts",
        {"state": list(chosen.states), "group": list(chosen.groups), "area": chosen.area},
    )
    forget_export("alerts")
    panel = st.fragment(alerts_panel, run_every=settings.dashboard_refresh_s)
    panel(settings, who, chosen)
    if who.role.exact:
        _acknowledge(settings, who)
    export_buttons(settings, who, "alerts")
