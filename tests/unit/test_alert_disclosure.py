"""What each role sees of alerts: the analyst every message with exact figures; partners
and the public ward and whole-area alerts only, as raised and as resolved, with the count
rounded, no p-value, and the figures an active alert was raised with (not its updates)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from aggregates.disclosure import Role
from alerts.events import rule_event, to_event
from alerts.groups import DEFAULT_GROUPS
from alerts.rules import DEFAULT_RULES
from alerts.states import Alert
from dashboard.alert_lines import HistoryFilter, active_lines, area_link, history_frame
from schemas.alerts import AlertEvent
from store.alert_state import Acknowledgement, AlertSnapshot

YOUTH = next(g for g in DEFAULT_GROUPS if g.slug == "youth-asb")
WARD, NAME = "E05000956", "Birkenhead and Tranmere"
RAISED = Alert(
    id="spike-0123456789ab",
    kind="spike",
    state="raised",
    level="ward",
    area=WARD,
    group=YOUTH.slug,
    window="hour",
    observed=14,
    expected=3.1,
    spread=1.9,
    p=0.0002,
    p_adjusted=0.01,
    raised_at="2026-12-04T21:10:00Z",
    updated_at="2026-12-04T21:10:00Z",
    sequence=1,
)
UPDATED = replace(
    RAISED, state="updated", observed=19, p=0.00001, sequence=2, updated_at="2026-12-04T21:40:00Z"
)
WINDOW = (
    int(datetime(2026, 12, 4, 20, tzinfo=UTC).timestamp()) // 3600,
    int(datetime(2026, 12, 4, 22, tzinfo=UTC).timestamp()) // 3600,
)


def _event(alert: Alert, level: str = "ward") -> AlertEvent:
    return to_event(replace(alert, level=level), YOUTH, NAME, WINDOW, 0.05, 8, ("council:x:1",))


def _snapshot(*alerts: Alert) -> AlertSnapshot:
    history = [_event(a) for a in reversed(alerts)]  # newest first
    latest = alerts[-1]
    ack = Acknowledgement("ana", "2026-12-04T21:15:00Z")
    return AlertSnapshot({latest.key: latest}, history, {latest.id: ack})


def test_the_analyst_reads_the_alert_as_it_stands_with_its_statistics() -> None:
    snapshot = _snapshot(RAISED, UPDATED)
    (line,) = active_lines(snapshot, Role.ANALYST)
    assert line.sentence.startswith(f"{NAME}: 19 youth ASB incidents since 20:00")
    assert "p < 0.0001" in line.sentence
    assert line.acknowledged is not None
    assert line.link == area_link("ward", WARD) == f"?page=areas&area={WARD}"
    table = history_frame(snapshot.history, Role.ANALYST, HistoryFilter(), snapshot.acknowledged)
    assert list(table["State"]) == ["Updated", "Raised"]
    assert list(table["Observed"]) == [19, 14]
    assert table["Acknowledged"].iloc[0] == "ana, 2026-12-04T21:15:00Z"
    assert table["Incidents"].iloc[0] == "council:x:1"  # the analyst sees which incidents


def test_a_partner_sees_the_raised_figures_rounded_without_p() -> None:
    snapshot = _snapshot(RAISED, UPDATED)
    for role in (Role.PARTNER, Role.PUBLIC):
        (line,) = active_lines(snapshot, role)
        assert line.sentence == (
            f"{NAME}: unusually high — about 15 youth ASB incidents since 20:00 against 3 "
            "expected for a Friday evening."
        )  # 14 as raised, not the update's 19 (about 20)
        assert line.acknowledged is None
        table = history_frame(snapshot.history, role, HistoryFilter(), snapshot.acknowledged)
        assert list(table["State"]) == ["Raised"]  # updates come one incident at a time
        assert set(table.columns).isdisjoint({"Observed", "p", "Adjusted p", "Id", "Expected"})
        text = " ".join(table.astype(str).to_numpy().ravel())
        assert "p =" not in text
        assert "p <" not in text
        assert "14" not in text
        assert "council:x:1" not in text


def test_a_partner_sees_no_alert_finer_than_a_ward() -> None:
    fine = replace(RAISED, level="lsoa", area="E01007122")
    snapshot = AlertSnapshot({fine.key: fine}, [_event(fine, "lsoa")], {})
    assert active_lines(snapshot, Role.PARTNER) == []
    assert history_frame(snapshot.history, Role.PARTNER, HistoryFilter(), {}).empty
    assert len(active_lines(snapshot, Role.ANALYST)) == 1


def test_history_filters_by_state_and_area() -> None:
    resolved = replace(UPDATED, state="resolved", sequence=3, observed=2)
    history = [_event(a) for a in (resolved, UPDATED, RAISED)]
    only = HistoryFilter(states=("resolved",))
    table = history_frame(history, Role.PARTNER, only, {})
    assert list(table["State"]) == ["Resolved"]
    assert table["Alert"].iloc[0].startswith(f"{NAME}: back within normal — fewer than 5 youth")
    assert history_frame(history, Role.ANALYST, HistoryFilter(area="E05000999"), {}).empty


def test_rule_alerts_reach_partners_without_counts_and_never_the_public() -> None:
    rule = next(r for r in DEFAULT_RULES if r.slug == "burglary-near-repeat")
    alert = replace(
        RAISED,
        id="near-repeat-0123456789ab",
        kind="near-repeat",
        group=rule.slug,
        window=rule.window,
        observed=2,
        record_keys=("police:a:1", "police:a:2", "police:a:3"),
        earlier=3,
    )
    event = rule_event(alert, rule, NAME, 0.05)
    snapshot = AlertSnapshot({alert.key: alert}, [event], {})
    (analyst,) = active_lines(snapshot, Role.ANALYST)
    assert analyst.sentence.endswith(
        "in the 14 days before — 2, near 3 earlier against 3.1 usual there (p = 0.0002)."
    )
    (partner,) = active_lines(snapshot, Role.PARTNER)
    assert partner.sentence == (
        f"{NAME}: burglaries in the last 24 hours within 200 m of earlier burglaries in the "
        "14 days before — fewer than 5."
    )
    assert active_lines(snapshot, Role.PUBLIC) == []
    assert history_frame(snapshot.history, Role.PUBLIC, HistoryFilter(), {}).empty
    shown = history_frame(snapshot.history, Role.PARTNER, HistoryFilter(), {})
    assert "police:a:1" not in " ".join(shown.astype(str).to_numpy().ravel())
