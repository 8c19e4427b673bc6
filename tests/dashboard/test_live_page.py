"""The live page under Streamlit's AppTest, reading a real redis-server seeded per test."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from string import ascii_uppercase
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from redis.asyncio import Redis as AsyncRedis
from streamlit.testing.v1 import AppTest

from aggregates.disclosure import FEWER, SUM_CAVEAT, Role
from cli.stack.procs import free_port
from dashboard.access import Accounts, AuditLog
from dashboard.exports import FORMATS
from safer.settings import Settings
from schemas.calendar import LONDON
from schemas.codec import decode_incident
from store.writer import StageOutcome, writer_for
from tests.builders import encode, make_council_asb, make_fire_incident, make_police_incident
from tests.data_files import DATA

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
BEBINGTON = "E05000954"
BIRKENHEAD = "E05000956"


BROMBOROUGH = "E05000957"
BROMBOROUGH_LSOA = "E01007141"
ANALYST_PASSWORD = "analyst-password-1"
PARTNER_PASSWORD = "partner-password-1"
ACCOUNTS = {Role.ANALYST: ("ana", ANALYST_PASSWORD), Role.PARTNER: ("pat", PARTNER_PASSWORD)}


def _street(kind: str, i: int) -> str:
    """A controlled place name of the i-th test street (place names hold no digits)."""
    return f"On or near {kind} {ascii_uppercase[i]}"


def _at(moment: datetime) -> dict[str, Any]:
    """Event time (an instant) and arrival of a seeded event."""
    return {
        "occurred": {"start": moment.isoformat(), "end": None},
        "received_at": moment.isoformat(),
    }


def seeded_events(now: datetime) -> list[dict[str, Any]]:
    """Yesterday (local noon): 7 burglaries in Birkenhead, 2 drugs offences in Bebington, 1
    secondary fire in Bromborough (no ward: its LSOA's); today (now): 3 council ASB reports
    in Bebington. Every place name distinct."""
    noon = datetime.combine(
        now.astimezone(LONDON).date() - timedelta(days=1), time(12), tzinfo=LONDON
    ).astimezone(UTC)

    def loc(ward: str | None, place: str, lsoa: str | None = None) -> dict[str, Any]:
        return {
            "location": {"ward_code": ward, "place": place} | ({"lsoa_code": lsoa} if lsoa else {})
        }

    burglaries = [
        make_police_incident(data={**loc(BIRKENHEAD, _street("Street", i)), **_at(noon)})
        for i in range(7)
    ]
    drugs = [
        make_police_incident(
            data={**loc(BEBINGTON, _street("Road", i)), "category": "drugs", **_at(noon)}
        )
        for i in range(2)
    ]
    fire = make_fire_incident(
        data={**loc(None, "Bidston Hill", lsoa=BROMBOROUGH_LSOA), **_at(noon)}
    )
    parks = [f"Park {letter}" for letter in ascii_uppercase[:3]]
    asb = [make_council_asb(data={**loc(BEBINGTON, park), **_at(now)}) for park in parks]
    return [*burglaries, *drugs, fire, *asb]


async def _seed(settings: Settings, events: list[dict[str, Any]], dead: int) -> None:
    redis = AsyncRedis.from_url(settings.require_redis())
    try:
        writer = writer_for(redis, settings)
        await writer.apply([decode_incident(encode(e)) for e in events])
        rejected = [
            StageOutcome("safer.raw.police", 0, n, "police", "rejected", "invalid")
            for n in range(dead)
        ]
        await writer.record_outcomes("validate", rejected)
    finally:
        await redis.aclose()


@pytest.fixture
def app_env(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Settings]:
    """Point the app at this test's Redis namespace; start with empty Streamlit caches."""
    monkeypatch.setenv("SAFER_REDIS_URL", settings.require_redis())
    monkeypatch.setenv("SAFER_REDIS_PREFIX", settings.redis_prefix)
    state = tmp_path / "app-state"
    monkeypatch.setenv("SAFER_STATE_DIR", str(state))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield settings.model_copy(update={"state_dir": state})  # the app's accounts and audit log
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def seeded(app_env: Settings) -> Settings:
    asyncio.run(_seed(app_env, seeded_events(datetime.now(UTC)), dead=2))
    accounts = Accounts(app_env.accounts_path)
    accounts.add("ana", Role.ANALYST, ANALYST_PASSWORD)
    accounts.add("pat", Role.PARTNER, PARTNER_PASSWORD)
    return app_env


def run_app(query: dict[str, Any] | None = None, role: Role | None = None) -> AppTest:
    """The page as a visitor (public), or signed in with ``role`` through the sign-in form."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception
    if role is not None:
        name, password = ACCOUNTS[role]
        at.sidebar.text_input[0].input(name)
        at.sidebar.text_input[1].input(password)
        at.sidebar.button[0].click().run()
        assert not at.exception
        assert any(f"Signed in as **{name}**" in m.value for m in at.sidebar.markdown)
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) == 1, f"expected one table with column {column!r}"
    return frames[0]


def page_text(at: AppTest) -> str:
    """Every metric, table cell, caption and markdown of the page, as one text."""
    parts = [f"{m.label} {m.value} {m.delta or ''}" for m in at.metric]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [c.value for c in at.caption] + [m.value for m in at.markdown]
    return "\n".join(parts)


def test_analyst_sees_exact_figures(seeded: Settings) -> None:
    """The analyst sees exact window figures on Live, and exact all-time totals and dead
    letters on the Feeds page (pipeline health is off the control-room screen)."""
    at = run_app({"window": "7d"}, role=Role.ANALYST)
    assert at.title[0].value == "safer-tracker — live"
    shown = metrics(at)
    assert shown["Last 7 days"] == "13"
    assert set(shown) == {"Last hour", "Last 24 hours", "Last 7 days"}
    feeds = run_app({"page": "feeds"}, role=Role.ANALYST)
    assert feeds.title[0].value == "safer-tracker — feeds"
    assert metrics(feeds) == {
        "All incidents": "13",
        "Police": "9",
        "Council": "3",
        "Fire": "1",
        "Dead-lettered": "2",
    }


def test_the_live_screen_is_the_control_rooms(seeded: Settings) -> None:
    """Live holds the status line, alerts, headline windows, map, wards above normal and
    latest incidents; the ward and category tables are the drill-down's."""
    at = run_app({"window": "7d"}, role=Role.ANALYST)
    drawn = [type(e).__name__ for e in at.main]
    assert drawn.index("Title") == 1  # after the style block only: no stray text above it
    headings = [h.value for h in at.subheader]
    assert {"Active alerts", "Map — last 7 days", "Above normal — last 7 days"} <= set(headings)
    assert any(h.startswith("Latest incidents") for h in headings)
    assert not [d for d in at.dataframe if "Total" in d.value.columns]
    status = next(c.value for c in at.caption if c.value.startswith("Updated "))
    assert "Viewing as analyst" in status
    assert "latest arrivals: Police" in status
    assert at.get("download_button")  # the exports, in the sidebar


@pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
def test_partner_and_public_see_suppressed_rounded_fixed_windows(
    seeded: Settings, role: Role
) -> None:
    """Partner (signed in) and public (not signed in) see fixed windows to last midnight,
    counts under 5 suppressed, others rounded; no all-time or dead-letter figures."""
    at = run_app(role=role if role is Role.PARTNER else None)
    assert f"Viewing as {role.value}" in page_text(at)
    shown = metrics(at)
    assert "All incidents" not in shown
    assert "Dead-lettered" not in shown
    # yesterday: 7 burglaries + 2 drugs (as 2) + 1 fire (as 2) = 11 -> 10; today's 3 ASB
    # reports are in no fixed window yet
    assert {k: shown[k] for k in ("Yesterday", "Last 7 days", "Last 28 days")} == {
        "Yesterday": "10",
        "Last 7 days": "10",
        "Last 28 days": "10",
    }
    text = page_text(at)
    assert SUM_CAVEAT in text
    for exact in ("Burglary: 7", "Drugs: 2", ",7,", ",13,"):
        assert exact not in text
    # the exact total of 13 nowhere (freshness may say "13 h ago" when run at 01:00)
    assert not re.search(r"\b13 (?!h ago)", text)
    assert len(at.get("download_button")) == len(FORMATS)  # CSV, Excel, PDF, PowerPoint


def test_partner_windows_are_fixed_even_from_a_link(seeded: Settings) -> None:
    """A shared analyst link (?window=24h) opens on a fixed window outside the analyst
    role, says why, and the URL no longer carries the refused window."""
    public = run_app({"window": "24h"})
    assert any(
        "asked for 'Last 24 hours', which a public cannot choose" in w.value
        for w in public.sidebar.warning
    )
    assert public.query_params["window"] == "7d"
    at = run_app({"window": "24h"}, role=Role.PARTNER)
    box = at.sidebar.selectbox[0]
    assert box.options == [
        "Yesterday",
        "Last 7 days",
        "Last 28 days",
        "Last 365 days",
        "Year to date",
        "Financial year to date",
        "Custom dates",
    ]
    assert box.value == "7d"
    assert at.query_params["window"] == "7d"
    assert any("Last hour and last 24 hours: analysts only" in c.value for c in at.sidebar.caption)


def test_custom_dates_and_the_same_period_last_year(seeded: Settings) -> None:
    """Custom dates (yesterday alone) count yesterday's incidents only, on the map and in
    the drill-down; the same period last year has none; both stay in the URL."""
    day = (datetime.now(LONDON).date() - timedelta(days=1)).isoformat()
    query = {"page": "areas", "window": "custom", "from": day, "to": day}
    at = run_app(query, role=Role.ANALYST)
    assert not at.exception
    wards = table_with(at, "Per 1,000 residents")
    shown = dict(zip(wards["Area"], wards["Incidents"], strict=True))
    assert shown["Birkenhead and Tranmere (E05000956)"] == "7"
    assert shown["Bebington (E05000954)"] == "2"  # today's 3 ASB reports are not in it
    assert (at.query_params["from"], at.query_params["to"]) == (day, day)
    label = datetime.fromisoformat(day).strftime("%-d %b %Y")
    assert f"{label}: {day} 00:00 to {day} 23:59 UK time." in [c.value for c in at.caption]
    at.sidebar.checkbox[0].check().run()
    assert at.query_params["ly"] == "1"
    wards = table_with(at, "Per 1,000 residents")
    assert set(wards["Incidents"]) == {"0"}
    assert any("same period last year" in c.value for c in at.caption)
    live = run_app({"window": "custom", "from": day, "to": day}, role=Role.ANALYST)
    (heading,) = [h.value for h in live.subheader if h.value.startswith("Map — ")]
    label = datetime.fromisoformat(day).strftime("%-d %b %Y")
    assert heading == f"Map — {label}"  # dates keep their month's capital


def test_window_choice_is_mirrored_in_the_url(seeded: Settings) -> None:
    at = run_app(role=Role.ANALYST)
    assert at.sidebar.selectbox[0].value == at.query_params["window"]
    at.sidebar.selectbox[0].set_value("28d").run()
    assert not at.exception
    assert at.query_params["window"] == "28d"
    assert "Map — last 28 days" in [h.value for h in at.subheader]


def test_wrong_password_keeps_the_public_view(seeded: Settings) -> None:
    at = run_app()
    at.sidebar.text_input[0].input("ana")
    at.sidebar.text_input[1].input("not-the-password")
    at.sidebar.button[0].click().run()
    assert any("wrong password" in e.value for e in at.error)
    assert "Viewing as public" in page_text(at)


def test_views_and_sign_ins_are_audited(seeded: Settings) -> None:
    """Who looked at what, when: the sign-in and each distinct view, not every refresh."""
    at = run_app(role=Role.PARTNER)
    at.sidebar.multiselect[0].set_value(["police"]).run()
    at.run()  # a rerun of the same view is not a new view
    entries = AuditLog(seeded.audit_path).entries()
    assert [(e["user"], e["role"], e["action"]) for e in entries] == [
        ("anonymous", "public", "view"),
        ("pat", "partner", "sign-in"),
        ("pat", "partner", "view"),
        ("pat", "partner", "view"),
    ]
    assert entries[-1]["page"] == "live"
    assert entries[-1]["filters"] == {"source": ["police"], "window": "7d"}
    assert all(e["at"].endswith("+00:00") for e in entries)


def test_public_view_can_be_switched_off(seeded: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFER_DASHBOARD_PUBLIC", "false")
    at = run_app()
    assert any("Sign in to see the dashboard" in i.value for i in at.info)
    assert not at.metric
    assert not at.dataframe


def test_ticker_lists_seeded_incidents(seeded: Settings) -> None:
    """The latest-incidents ticker lists the seeded incidents with display names."""
    at = run_app(role=Role.ANALYST)
    ticker = table_with(at, "Place")
    assert "Bidston Hill" in set(ticker["Place"])
    assert {f"Park {ascii_uppercase[i]}" for i in range(3)} <= set(ticker["Place"])
    fire = ticker[ticker["Source"] == "Fire"].iloc[0]
    assert (fire["Category"], fire["Ward"]) == ("Secondary fire", "Bromborough (E05000957)")
    noon = fire["Occurred (UK time)"]
    assert noon.endswith(" 12:00")


def test_freshness_lines(seeded: Settings) -> None:
    """Each source has a freshness line with its latest arrival in UK time (Feeds page)."""
    at = run_app({"page": "feeds"})
    lines = next(m.value for m in at.markdown if "latest arrival" in m.value)
    yesterday = datetime.now(LONDON).date() - timedelta(days=1)
    for source in ("Police", "Fire"):
        assert f"{source}: latest arrival {yesterday.isoformat()} 12:00:00" in lines
    assert "Council: latest arrival" in lines


def test_source_filter_narrows_view_and_is_mirrored(seeded: Settings) -> None:
    """Choosing one source narrows the windows and the ticker and writes ?source=... to the
    URL."""
    at = run_app({"window": "7d"}, role=Role.ANALYST)
    at.sidebar.multiselect[0].set_value(["police"]).run()
    assert not at.exception
    assert at.query_params["source"] == "police"
    assert set(table_with(at, "Place")["Source"]) == {"Police"}
    assert metrics(at)["Last 7 days"] == "9"
    assert any("Filtered to: Police." in c.value for c in at.caption)


def test_category_filter_narrows_every_figure_and_is_mirrored(seeded: Settings) -> None:
    """?cat= narrows the windows, ticker and drill-down to the chosen categories; a group
    spans agencies; the choice stays in the URL and the page says it is filtered."""
    at = run_app({"window": "7d", "cat": "burglary"}, role=Role.ANALYST)
    assert at.sidebar.multiselect[1].value == ["burglary"]
    assert metrics(at)["Last 7 days"] == "7"
    assert set(table_with(at, "Place")["Category"]) == {"Burglary"}
    assert any("Filtered to: categories: Burglary." in c.value for c in at.caption)
    assert at.query_params["cat"] == "burglary"
    at.sidebar.multiselect[1].set_value(["all-asb", "drugs"]).run()
    assert not at.exception
    assert at.query_params["cat"] == ["all-asb", "drugs"]
    assert metrics(at)["Last 7 days"] == "5"  # 3 council ASB reports and 2 drugs offences
    assert set(table_with(at, "Place")["Category"]) == {"ASB – nuisance", "Drugs"}
    areas = run_app({"page": "areas", "window": "7d", "cat": "drugs"}, role=Role.ANALYST)
    wards = table_with(areas, "Per 1,000 residents")
    shown = dict(zip(wards["Area"], wards["Incidents"], strict=True))
    assert shown["Bebington (E05000954)"] == "2"
    assert shown["Birkenhead and Tranmere (E05000956)"] == "0"


def test_unknown_categories_in_a_link_are_dropped(seeded: Settings) -> None:
    """A link naming a category that does not exist opens on the known ones only, and the
    URL no longer carries the unknown one."""
    at = run_app({"cat": ["burglary", "made-up"]}, role=Role.PARTNER)
    assert at.sidebar.multiselect[1].value == ["burglary"]
    assert at.query_params["cat"] == "burglary"


def test_source_filter_read_from_query_params(seeded: Settings) -> None:
    """A shared link (?source=council&source=fire) opens with that filter applied."""
    at = run_app({"source": ["council", "fire"]}, role=Role.PARTNER)
    assert at.sidebar.multiselect[0].value == ["council", "fire"]
    assert set(table_with(at, "Received (UK date)")["Source"]) == {"Council", "Fire"}
    assert at.query_params["source"] == ["council", "fire"]


def test_selecting_all_sources_clears_the_parameter(seeded: Settings) -> None:
    """Going back to all sources removes ?source from the URL (the default view)."""
    at = run_app({"source": "fire"}, role=Role.PARTNER)
    at.sidebar.multiselect[0].set_value(["police", "council", "fire"]).run()
    assert not at.exception
    assert "source" not in at.query_params
    assert len(table_with(at, "Received (UK date)")) == 13


def test_empty_namespace_shows_no_data_message(app_env: Settings) -> None:
    """An empty Redis namespace shows the 'no data yet' message and no metrics or errors."""
    at = run_app()
    assert any("No data yet" in info.value for info in at.info)
    assert not at.error
    assert not at.metric


def test_unreachable_redis_shows_error(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Redis that does not answer gives a clear error message, never a traceback."""
    monkeypatch.setenv("SAFER_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    at = run_app()
    assert any("Redis is unreachable" in err.value for err in at.error)


@pytest.mark.parametrize(
    ("role", "total", "police", "fire"),
    [
        (Role.ANALYST, "10", "9", "1"),
        (Role.PARTNER, "10", "10", FEWER),
        (Role.PUBLIC, "10", "10", FEWER),
    ],
)
def test_trends_page_per_role(
    seeded: Settings, role: Role, total: str, police: str, fire: str
) -> None:
    """The daily trend's latest point is yesterday: exact for the analyst (7 + 2 + 1),
    protected for partner and public (7 + 2 + 2 = 11 -> 10; police 9 -> 10; fire 1)."""
    at = run_app({"page": "trends", "grain": "day"}, role=None if role is Role.PUBLIC else role)
    assert at.title[0].value == "safer-tracker — trends"
    table = table_with(at, "Period")
    yesterday = (datetime.now(LONDON).date() - timedelta(days=1)).isoformat()
    latest = table[table["Period"] == yesterday].iloc[0]
    assert (latest["Incidents (shown)"], latest["Police"], latest["Fire"]) == (total, police, fire)
    assert latest["Council"] == "0"  # the ASB reports are today's
    if role is Role.ANALYST:  # today so far, newest first: the 3 ASB reports
        assert table.iloc[0]["Period"].endswith("(so far)")
        assert (table.iloc[0]["Incidents (shown)"], table.iloc[0]["Council"]) == ("3", "3")
    else:  # whole days up to last midnight only
        assert table.iloc[0]["Period"] == yesterday
    assert len(table) == 90 + role.exact
    assert any("police.uk records give only a month" in c.value for c in at.caption)
    assert at.query_params["page"] == "trends"
    assert len(at.get("download_button")) == len(FORMATS)


def test_hotspot_times_for_the_analyst(seeded: Settings) -> None:
    """Yesterday's ten incidents at local noon make that weekday's 12:00 the busiest hour."""
    at = run_app({"page": "hotspots"}, role=Role.ANALYST)
    assert at.title[0].value == "safer-tracker — hot-spot times"
    weekday = (datetime.now(LONDON).date() - timedelta(days=1)).strftime("%A")
    text = next(c.value for c in at.caption if c.value.startswith("Busiest hours"))
    assert text.startswith(f"Busiest hours of the week, busiest first — {weekday} 12:00 (10.0)")
    table = next(d.value for d in at.dataframe if "12" in d.value.columns)
    assert table.loc[weekday, "12"] == 10.0
    assert table.to_numpy().sum() == pytest.approx(13.0)  # and today's three ASB reports
    assert len(at.get("download_button")) == len(FORMATS)


@pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
def test_hotspot_times_are_withheld_for_few_incidents(seeded: Settings, role: Role) -> None:
    """Outside the analyst role a pattern of a handful of incidents is not shown at all."""
    at = run_app({"page": "hotspots"}, role=None if role is Role.PUBLIC else role)
    assert any("Too few incidents here for a pattern" in i.value for i in at.info)
    assert not at.dataframe
    assert not at.get("download_button")


def test_areas_above_normal_per_role(seeded: Settings) -> None:
    """With no history (nothing before this week), no ward is called above normal: the
    analyst's Bebington ASB reports (24 h) and, for a partner, only what disclosure lets
    through (7 days: Birkenhead's 7 burglaries shown as 5; Bebington's 2 drugs offences are
    suppressed) say "not enough history: 0 of 8 weeks", with no usual level."""
    analyst = table_with(run_app(role=Role.ANALYST), "Verdict")
    beb = analyst[analyst["Ward"] == "Bebington (E05000954)"].iloc[0]
    assert beb["Verdict"] == "not enough history: 0 of 8 weeks"
    assert beb["Usual (mean of past weeks)"] == "—"
    partner = table_with(run_app(role=Role.PARTNER), "Verdict")
    assert partner.to_dict("records") == [
        {
            "Ward": "Birkenhead and Tranmere (E05000956)",
            "This window": "5",
            "Usual (mean of past weeks)": "—",
            "Verdict": "not enough history: 0 of 8 weeks",
        }
    ]


def briefing_counts(at: AppTest) -> dict[str, str]:
    table = next(d.value for d in at.dataframe if list(d.value.columns) == ["Source", "Incidents"])
    return dict(zip(table["Source"], table["Incidents"], strict=True))


def test_overnight_briefing_for_the_analyst(seeded: Settings) -> None:
    """Default: since 18:00 yesterday (only today's ASB reports); from a shared link with an
    earlier start, yesterday's noon incidents too."""
    at = run_app({"page": "briefing"}, role=Role.ANALYST)
    assert at.title[0].value == "safer-tracker — overnight briefing"
    assert briefing_counts(at) == {"Police": "0", "Council": "3", "Fire": "0", "All": "3"}
    yesterday = datetime.now(LONDON).date() - timedelta(days=1)
    assert at.query_params["since"] == f"{yesterday.isoformat()}T18:00"
    heading = f"Areas above normal — since {yesterday:%a %d %b} 18:00"  # Mon, Nov: capitals
    assert heading in [h.value for h in at.subheader]
    early = run_app({"page": "briefing", "since": f"{yesterday.isoformat()}T11:00"}, Role.ANALYST)
    assert briefing_counts(early) == {"Police": "9", "Council": "3", "Fire": "1", "All": "13"}
    assert any("No notable incidents" in i.value for i in early.info)
    assert len(early.get("download_button")) == len(FORMATS)


@pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
def test_overnight_briefing_outside_the_analyst_role_is_yesterday(
    seeded: Settings, role: Role
) -> None:
    at = run_app(
        {"page": "briefing", "since": "2020-01-01T00:00"},
        role=None if role is Role.PUBLIC else role,
    )
    assert briefing_counts(at) == {"Police": "10", "Council": "0", "Fire": FEWER, "All": "10"}
    assert len(at.sidebar.selectbox) == 0  # no start to choose outside the analyst role
    assert any(s.value.startswith("Yesterday (") for s in at.subheader)


def test_area_drill_down_for_the_analyst(seeded: Settings) -> None:
    """Borough -> ward -> LSOA, with counts and rates per 1,000 residents."""
    at = run_app({"page": "areas", "window": "7d"}, role=Role.ANALYST)
    assert at.title[0].value == "safer-tracker — area drill-down"
    wards = table_with(at, "Per 1,000 residents")
    top = wards.iloc[0]
    assert (top["Area"], top["Incidents"]) == ("Birkenhead and Tranmere (E05000956)", "7")
    assert top["Per 1,000 residents"] > 0
    assert "×" in top["Compared with"]
    assert len(wards) > 20  # every ward of the partnership, zeros included
    ward = run_app({"page": "areas", "window": "7d", "area": BEBINGTON}, role=Role.ANALYST)
    assert any(h.value == "Bebington: 5 incidents" for h in ward.subheader)
    lsoas = table_with(ward, "Per 1,000 residents")
    assert lsoas["Area"].str.contains(r"\(E010").all()
    categories = next(d.value for d in ward.dataframe if "Category" in d.value.columns)
    assert set(categories["Category"]) >= {"ASB – nuisance", "Drugs"}
    by_source = next(d.value for d in ward.dataframe if "Source" in d.value.columns)
    counts = dict(zip(by_source["Source"], by_source["Incidents"], strict=True))
    assert counts == {"Council": "3", "Police": "2", "Fire": "0"}  # Bebington's 5
    assert ward.query_params["lsoa"] == "all"


def test_area_drill_down_to_streets_and_places_for_the_analyst(seeded: Settings) -> None:
    """Ward -> LSOA -> its streets and places: the fire's controlled place name, with its
    count, category and source; the ward lists its busiest streets and places."""
    ward = run_app({"page": "areas", "window": "7d", "area": BROMBOROUGH}, role=Role.ANALYST)
    busiest = table_with(ward, "Street or place")
    assert busiest.to_dict("records") == [
        {
            "Street or place": "Bidston Hill",
            "LSOA": f"Wirral 031D ({BROMBOROUGH_LSOA})",
            "Incidents": "1",
            "Main categories": "Secondary fire (1)",
            "Sources": "Fire",
        }
    ]
    lsoa = run_app(
        {"page": "areas", "window": "7d", "area": BROMBOROUGH, "lsoa": BROMBOROUGH_LSOA},
        role=Role.ANALYST,
    )
    assert list(table_with(lsoa, "Street or place")["Street or place"]) == ["Bidston Hill"]
    assert any("controlled place names" in c.value for c in lsoa.caption)
    eastham = "E05000960"  # no seeded event there
    other = run_app({"page": "areas", "window": "7d", "area": eastham}, role=Role.ANALYST)
    assert any("None in this window" in c.value for c in other.caption)


@pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
def test_area_drill_down_stops_at_wards_outside_the_analyst_role(
    seeded: Settings, role: Role
) -> None:
    at = run_app(
        {"page": "areas", "area": BEBINGTON, "lsoa": BROMBOROUGH_LSOA},
        role=None if role is Role.PUBLIC else role,
    )
    assert any(h.value == f"Bebington: {FEWER} incidents" for h in at.subheader)
    assert any("figures stop at wards" in c.value for c in at.caption)
    assert all(s.label != "LSOA" for s in at.sidebar.selectbox)
    assert not any(
        d.value["Area"].str.contains(r"\(E010").any()
        for d in at.dataframe
        if "Area" in d.value.columns
    )
    assert not any("Street or place" in d.value.columns for d in at.dataframe)
    assert "Bidston Hill" not in page_text(at)


def test_profiles_for_the_analyst_include_repeats(seeded: Settings) -> None:
    """Today's three ASB reports are all recorded as youth; repeats are the analyst's."""
    at = run_app({"page": "profiles", "breakdown": "youth", "window": "24h"}, Role.ANALYST)
    assert at.title[0].value == "safer-tracker — profiles"
    table = table_with(at, "Youth")
    first = table.iloc[0].to_dict()
    assert (first["Category"], first["Youth"]) == ("All categories", "3")
    assert "ASB – nuisance" in set(table["Category"])
    assert any("Repeat callers and repeat locations" in h.value for h in at.subheader)


@pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
def test_profiles_outside_the_analyst_role_have_no_repeats(seeded: Settings, role: Role) -> None:
    at = run_app({"page": "profiles"}, role=None if role is Role.PUBLIC else role)
    assert not any("Repeat" in h.value for h in at.subheader)
    assert "Repeat callers" not in page_text(at)


def map_spec(at: AppTest) -> str:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return str(charts[0].proto.json)


def test_grid_squares_and_places_only_on_the_analysts_map(app_env: Settings) -> None:
    """Incidents with a point give the analyst's map 250 m grid squares and street or place
    dots with exact counts; the partner's and the public's maps have neither (below ward
    level they would reopen differencing), though the ward shading still counts them."""
    yesterday = datetime.combine(
        datetime.now(UTC).astimezone(LONDON).date() - timedelta(days=1), time(12), tzinfo=LONDON
    )
    located = [
        make_police_incident(
            data={
                "location": {"lat": 53.3900, "lon": -3.0200, "place": _street("Lane", i)},
                **_at(yesterday.astimezone(UTC)),
            }
        )
        for i in range(6)
    ]
    asyncio.run(_seed(app_env, located, dead=0))
    accounts = Accounts(app_env.accounts_path)
    accounts.add("ana", Role.ANALYST, ANALYST_PASSWORD)
    accounts.add("pat", Role.PARTNER, PARTNER_PASSWORD)
    analyst = map_spec(run_app({"window": "7d"}, role=Role.ANALYST))
    assert "grid-squares" in analyst
    assert "250 m square: busiest (6)" in analyst
    assert '"places"' in analyst  # the dots' layer
    # sized in metres (a bare string would reach deck.gl as an accessor, '@@=meters', and
    # the dots would be sized in common units: each one covered the whole map)
    assert '"radiusUnits": "meters"' in analyst
    assert "On or near Lane A; On or near Lane B and 4 more: busiest (6)" in analyst
    for other in (map_spec(run_app({"window": "7d"}, role=Role.PARTNER)), map_spec(run_app())):
        assert "Birkenhead and Tranmere: busiest" in other  # the incidents are in the window
        assert "grid-squares" not in other
        assert "250 m square" not in other
        assert '"places"' not in other
        assert "Lane" not in other


def test_background_tiles_only_when_a_style_is_set(
    seeded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``SAFER_MAP_STYLE`` the map draws over that style's tiles (checked by hand in
    Chromium against a local style.json: its raster tiles were fetched and drawn)."""
    style = "http://tiles.council.internal/styles/basic/style.json"
    monkeypatch.setenv("SAFER_MAP_STYLE", style)
    spec = map_spec(run_app({"window": "7d"}, role=Role.PARTNER))
    assert f'"mapStyle": "{style}"' in spec
    assert '"mapProvider": "mapbox"' in spec
    assert "Birkenhead and Tranmere: busiest (5)" in spec  # the shading is drawn over them


def test_map_per_role(seeded: Settings) -> None:
    """Ward shading from our own boundaries: the analyst's tooltips carry exact counts, the
    partner's disclosed ones, the public map only levels (no numbers)."""
    analyst = map_spec(run_app({"window": "7d"}, role=Role.ANALYST))
    assert "Birkenhead and Tranmere: busiest (7)" in analyst
    assert '"mapProvider"' not in analyst  # no background tiles
    assert "Bromborough: quietest (1)" in analyst
    partner = map_spec(run_app(role=Role.PARTNER))
    assert "Birkenhead and Tranmere: busiest (5)" in partner
    assert "Bebington: " in partner
    public_app = run_app()
    public = map_spec(public_app)
    assert "Birkenhead and Tranmere: busiest" in public
    assert "(5)" not in public
    assert "(7)" not in public
    assert any("Concentrations only, no numbers" in c.value for c in public_app.caption)


LCR = DATA / "liverpool_city_region.toml"
CANNING_LSOA, CANNING = "E01006512", "E05015285"  # Liverpool
LIVERPOOL, WIRRAL = "E08000012", "E08000015"


@pytest.fixture
def region(app_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Liverpool City Region (six authorities): yesterday 12 burglaries in Canning
    (Liverpool) and 3 drugs offences in Bebington (Wirral)."""
    monkeypatch.setenv("SAFER_PARTNERSHIP", str(LCR))
    settings = app_env.model_copy(update={"partnership": LCR})
    noon = datetime.combine(
        datetime.now(UTC).astimezone(LONDON).date() - timedelta(days=1), time(12), tzinfo=LONDON
    ).astimezone(UTC)

    def where(lsoa: str) -> dict[str, Any]:  # the LSOA alone places the record
        return {"lsoa_code": lsoa, "ward_code": None, "lat": None, "lon": None, "place": None}

    events = [
        make_police_incident(data={"location": where(CANNING_LSOA), **_at(noon)}) for _ in range(12)
    ] + [
        make_police_incident(
            data={"location": where(BROMBOROUGH_LSOA), "category": "drugs", **_at(noon)}
        )
        for _ in range(3)
    ]
    asyncio.run(_seed(settings, events, dead=0))
    accounts = Accounts(settings.accounts_path)
    accounts.add("ana", Role.ANALYST, ANALYST_PASSWORD)
    accounts.add("pat", Role.PARTNER, PARTNER_PASSWORD)
    return settings


def test_a_partnership_of_several_authorities_drills_through_them(region: Settings) -> None:
    """Partnership -> local authority -> ward: the authorities' table, an authority's own
    wards, and a ward compared with its authority and with the partnership; the partner's
    authority figures are disclosed sums of ward cells (3 is fewer than 5)."""
    at = run_app({"page": "areas", "window": "7d"}, role=Role.ANALYST)
    assert any(h.value == "Liverpool City Region: 15 incidents" for h in at.subheader)
    authorities = next(d.value for d in at.dataframe if "Area" in d.value.columns)
    assert len(authorities) == 6
    assert authorities.iloc[0]["Area"] == f"Liverpool ({LIVERPOOL})"
    assert authorities.iloc[0]["Incidents"] == "12"
    assert authorities.iloc[1]["Area"] == f"Wirral ({WIRRAL})"
    assert authorities.iloc[1]["Incidents"] == "3"
    city = run_app({"page": "areas", "window": "7d", "la": LIVERPOOL}, role=Role.ANALYST)
    assert any(h.value == "Liverpool: 12 incidents" for h in city.subheader)
    (wards,) = [d.value for d in city.dataframe if "Area" in d.value.columns]
    assert len(wards) == 64  # Liverpool's wards only, zeros included
    assert wards.iloc[0]["Area"] == f"Canning ({CANNING})"
    assert wards["Compared with"].iloc[0].endswith("× Liverpool")
    assert city.query_params["la"] == LIVERPOOL
    ward = run_app(
        {"page": "areas", "window": "7d", "la": LIVERPOOL, "area": CANNING}, Role.ANALYST
    )
    assert any(h.value == "Canning: 12 incidents" for h in ward.subheader)
    compared = next(c.value for c in ward.caption if "per 1,000 residents" in c.value)
    assert "; Liverpool: " in compared
    assert "; Liverpool City Region: " in compared
    shared = run_app({"page": "areas", "la": "all"}, role=Role.PARTNER)
    table = next(d.value for d in shared.dataframe if "Area" in d.value.columns)
    by_area = dict(zip(table["Area"], table["Incidents"], strict=True))
    assert by_area[f"Liverpool ({LIVERPOOL})"] == "10"
    assert by_area[f"Wirral ({WIRRAL})"] == FEWER
    times = run_app({"page": "hotspots"}, role=Role.ANALYST)
    assert any(h.value == "When incidents happen — the whole partnership" for h in times.subheader)
