"""'Not enough history yet': a store whose feeds cover fewer weeks than a verdict needs says
so on Live, the briefing and their exports, instead of 'far above normal' (AppTest against
a real redis-server)."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from aggregates.disclosure import Role
from dashboard.access import Accounts
from dashboard.exports import render
from dashboard.ui import EXPORTS_STATE
from safer.settings import Settings
from schemas.calendar import LONDON
from tests.builders import make_council_asb, make_fire_incident, make_police_incident
from tests.dashboard.test_live_page import (  # noqa: F401 (app_env: a fixture)
    ANALYST_PASSWORD,
    PARTNER_PASSWORD,
    _seed,
    app_env,
    page_text,
    run_app,
    seeded_events,
    table_with,
)

EASTHAM = "E05000960"  # where the past weeks' events are: no ward of today's figures
BIRKENHEAD_ROW = "Birkenhead and Tranmere (E05000956)"


def past_weeks(weeks: int) -> list[dict[str, Any]]:
    """One event of each source at yesterday's noon in each of the ``weeks`` weeks before:
    the feeds covered those weeks (and only those)."""
    noon = datetime.combine(
        datetime.now(UTC).astimezone(LONDON).date() - timedelta(days=1), time(12), tzinfo=LONDON
    )
    found = []
    for week in range(1, weeks + 1):
        at = (noon - timedelta(weeks=week)).astimezone(UTC).isoformat()
        data = {
            "location": {"ward_code": EASTHAM, "place": "Eastham Country Park"},
            "occurred": {"start": at, "end": None},
            "received_at": at,
        }
        found += [make(data=data) for make in (make_police_incident, make_council_asb)]
        found.append(make_fire_incident(data=data))
    return found


def with_history(settings: Settings, weeks: int) -> Settings:
    """Yesterday's and today's incidents of ``seeded_events`` after ``weeks`` weeks of
    feeds; an analyst and a partner account."""
    asyncio.run(_seed(settings, seeded_events(datetime.now(UTC)) + past_weeks(weeks), dead=0))
    accounts = Accounts(settings.accounts_path)
    accounts.add("ana", Role.ANALYST, ANALYST_PASSWORD)
    accounts.add("pat", Role.PARTNER, PARTNER_PASSWORD)
    return settings


def verdicts(at: AppTest) -> dict[str, str]:
    table = table_with(at, "Verdict")
    return dict(zip(table["Ward"], table["Verdict"], strict=True))


def exported_verdicts(at: AppTest, page: str) -> set[str]:
    """The verdicts of the page's Excel export, opened with openpyxl."""
    view = at.session_state[EXPORTS_STATE][page][0]
    book = load_workbook(io.BytesIO(render(view, "xlsx")))
    (sheet,) = [n for n in book.sheetnames if "above normal" in n.lower()]
    header, *rows = book[sheet].iter_rows(values_only=True)
    return {str(row[header.index("Verdict")]) for row in rows}


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PARTNER])
def test_two_weeks_of_history_give_no_verdict(app_env: Settings, role: Role) -> None:  # noqa: F811
    """After two weeks of feeds, Live and the briefing (and their exports) say "not enough
    history: 2 of 8 weeks" where they said "far above normal"."""
    with_history(app_env, 2)
    briefing = {"page": "briefing"} | (
        {"since": f"{datetime.now(LONDON).date() - timedelta(days=1)}T00:00"}
        if role is Role.ANALYST
        else {}
    )
    for query, page in (({"page": "live"}, "live"), (briefing, "briefing")):
        at = run_app(query, role=role)
        shown = verdicts(at)
        assert shown, page
        assert set(shown.values()) == {"not enough history: 2 of 8 weeks"}, page
        assert "far above normal" not in page_text(at)
        if page == "briefing":  # the Live screen's verdict column says it alone
            assert any("No verdicts yet" in i.value for i in at.info)
        assert exported_verdicts(at, page) == {"not enough history: 2 of 8 weeks"}


def test_eight_weeks_of_history_give_verdicts(app_env: Settings) -> None:  # noqa: F811
    """With eight weeks and more behind it, a ward far above its (quiet) past weeks gets
    its verdict again, on the page and in the export."""
    with_history(app_env, 9)
    for page in ("live", "briefing"):
        at = run_app({"page": page}, role=Role.PARTNER)
        assert verdicts(at)[BIRKENHEAD_ROW] == "far above normal", page
        assert not any("No verdicts yet" in i.value for i in at.info)
        assert "far above normal" in exported_verdicts(at, page)


def test_the_history_a_verdict_needs_is_a_setting(
    app_env: Settings,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SAFER_HISTORY_WEEKS=2: two weeks of feeds are enough for a verdict."""
    with_history(app_env, 2)
    monkeypatch.setenv("SAFER_HISTORY_WEEKS", "2")
    at = run_app(role=Role.PARTNER)
    assert verdicts(at)[BIRKENHEAD_ROW] == "far above normal"
    helps = [h.proto.help for h in at.subheader if h.value.startswith("Above normal")]
    assert any("A verdict needs 2 weeks of history" in text for text in helps)
