"""What each role sees of alerts (pure; the Live page's list and the Alerts page).

- **analyst**: every alert as the stream has it — exact counts, the expected count and
  its spread, p and the adjusted p, every message (raised, each update, resolved), who
  acknowledged it.
- **partner** and **public**: alerts of wards and of the whole area only, and of each
  alert only its raising and its resolution, in words that carry the count as disclosed
  (``aggregates.disclosure``: "fewer than 5", else rounded to 5) and the expected count to a
  whole number; no p-value (with the expected count it would give the exact count away),
  no record keys. An active alert shows the figures it was raised with: its updates come
  one incident at a time, and watching a rounded count change would tell when the exact
  count crossed a rounding boundary.
- **public**: additionally no near-repeat or cross-agency alert: each is about single
  incidents (a burglary near an earlier one), and the public sees no single incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import pandas as pd

from aggregates.disclosure import Role, disclose
from alerts.events import shared_sentence
from schemas.alerts import AlertEvent, AlertKind, AlertState
from schemas.calendar import local
from store.alert_state import Acknowledgement, AlertSnapshot

SHARED_LEVELS = ("ward", "borough")
"""Area levels whose alerts partners and the public see."""
SHARED_STATES = (AlertState.RAISED, AlertState.RESOLVED)
STATE_LABELS = {"raised": "Raised", "updated": "Updated", "resolved": "Resolved"}
WINDOW_LABELS = {"hour": "Last hour", "day": "Last 24 hours"}
TIME_FORMAT = "%a %d %b %H:%M"
SHARED_NOTE = (
    "Counts are rounded to the nearest 5 (fewer than 5 shown as such) and an alert is "
    "shown as it was raised and as it resolved, not as it changes in between."
)


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One alert as a role sees it."""

    id: str
    sentence: str
    raised: datetime
    level: str
    area: str
    area_name: str
    group: str
    window: str
    state: str
    link: str
    acknowledged: Acknowledgement | None


def area_link(level: str, area: str) -> str:
    """The drill-down of the alert's area (the whole area for a borough's alert)."""
    query = {"page": "areas"} | ({"area": area} if level == "ward" else {})
    return "?" + urlencode(query)


def _shared_phrase(count: int, role: Role) -> str:
    shown = disclose(count, role)
    return shown.text if shown.suppressed else f"about {shown.text}"


def shared_text(event: AlertEvent, role: Role) -> str:
    """A message's sentence as ``role`` may read it."""
    if role.exact:
        return event.sentence
    return shared_sentence(event, _shared_phrase(event.observed, role))


def shown_kind(kind: str, level: str, role: Role) -> bool:
    """Whether ``role`` sees alerts of this kind and area level."""
    if role.exact:
        return True
    if kind != AlertKind.SPIKE.value and not role.incidents.listed:
        return False
    return level in SHARED_LEVELS


def visible(event: AlertEvent, role: Role) -> bool:
    """Whether ``role`` sees this message at all."""
    if role.exact:
        return True
    return shown_kind(event.kind.value, event.level, role) and event.state in SHARED_STATES


def _first_messages(history: Sequence[AlertEvent]) -> dict[str, AlertEvent]:
    """Per alert, its raising message (history is newest first)."""
    return {e.id: e for e in history if e.state == AlertState.RAISED}


def _latest_messages(history: Sequence[AlertEvent]) -> dict[str, AlertEvent]:
    found: dict[str, AlertEvent] = {}
    for event in history:
        found.setdefault(event.id, event)
    return found


def active_lines(snapshot: AlertSnapshot, role: Role) -> list[AlertLine]:
    """The active alerts, newest raised first: the analyst reads each as it stands now,
    others as it was raised. An alert whose messages have left the read history is
    listed by its area and group only."""
    raised = _first_messages(snapshot.history)
    latest = _latest_messages(snapshot.history)
    lines = []
    for alert in snapshot.active.values():
        if not shown_kind(alert.kind, alert.level, role):
            continue
        message = latest.get(alert.id) if role.exact else raised.get(alert.id)
        if message is None:
            continue
        lines.append(
            AlertLine(
                id=alert.id,
                sentence=shared_text(message, role),
                raised=message.raised_at,
                level=alert.level,
                area=alert.area,
                area_name=message.area_name,
                group=message.group_label,
                window=alert.window,
                state=alert.state,
                link=area_link(alert.level, alert.area),
                acknowledged=snapshot.acknowledged.get(alert.id) if role.exact else None,
            )
        )
    return sorted(lines, key=lambda line: line.raised, reverse=True)


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    states: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    windows: tuple[str, ...] = ()
    area: str | None = None

    def keeps(self, event: AlertEvent) -> bool:
        return (
            (not self.states or event.state.value in self.states)
            and (not self.groups or event.group_label in self.groups)
            and (not self.windows or event.window in self.windows)
            and (self.area is None or event.area == self.area)
        )


def history_frame(
    history: Sequence[AlertEvent],
    role: Role,
    chosen: HistoryFilter,
    acknowledged: Mapping[str, Acknowledgement],
) -> pd.DataFrame:
    """The alert messages ``role`` sees, newest first, one row each."""
    rows = []
    for event in history:
        if not visible(event, role) or not chosen.keeps(event):
            continue
        row: dict[str, object] = {
            "Time (UK)": local(event.updated_at).strftime(TIME_FORMAT),
            "State": STATE_LABELS[event.state.value],
            "Area": event.area_name,
            "Group": event.group_label,
            "Window": WINDOW_LABELS.get(event.window, event.window),
            "Alert": shared_text(event, role),
        }
        if role.exact:
            ack = acknowledged.get(event.id)
            row |= {
                "Observed": event.observed,
                "Expected": None if event.expected is None else round(event.expected, 1),
                "p": event.p,
                "Adjusted p": event.p_adjusted,
                "Acknowledged": f"{ack.by}, {ack.at}" if ack else "",
                "Incidents": _keys_text(event.record_keys),
                "Id": event.id,
            }
        rows.append(row)
    return pd.DataFrame(rows)


KEYS_SHOWN = 20


def _keys_text(keys: Sequence[str]) -> str:
    """The record keys behind an alert (analysts), the first ``KEYS_SHOWN`` of them."""
    shown = ", ".join(keys[:KEYS_SHOWN])
    return shown + (f" and {len(keys) - KEYS_SHOWN} more" if len(keys) > KEYS_SHOWN else "")


def filter_options(history: Sequence[AlertEvent], role: Role) -> dict[str, list[str]]:
    """The values the history's filters offer (what ``role`` sees)."""
    shown = [e for e in history if visible(e, role)]
    return {
        "groups": sorted({e.group_label for e in shown}),
        "areas": sorted({e.area for e in shown}),
    }


def area_names(history: Sequence[AlertEvent]) -> dict[str, str]:
    return {e.area: e.area_name for e in history}
