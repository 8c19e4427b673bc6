"""Nothing individual below the analyst role: every page, its map and its CSV, Excel and PDF
exports, under each role (AppTest against a real redis-server; the exports opened with
their own libraries: ``csv``, openpyxl, pypdf)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from aggregates.disclosure import FEWER, Role
from dashboard.access import Accounts
from dashboard.exports import render
from dashboard.ui import EXPORTS_STATE
from safer.settings import Settings
from schemas.calendar import LONDON
from tests.builders import make_police_incident
from tests.dashboard.test_live_page import (  # noqa: F401 (app_env: a fixture)
    ANALYST_PASSWORD,
    BEBINGTON,
    BIRKENHEAD,
    PARTNER_PASSWORD,
    _seed,
    app_env,
    run_app,
)

LSOA = "E01007126"  # in Birkenhead and Tranmere
STREET = "On or near Grange Road"
OCCURRED, RECEIVED = time(3, 47), time(4, 13)  # yesterday, UK time: minutes no header has
PAGES = ("live", "briefing", "areas", "trends", "hotspots", "profiles")
MINUTES = re.compile(r"\b\d{2}:\d{2}\b")
BELOW_WARD = ("On or near", "Grange Road", "E010")
"""Street or place and LSOA text. (Location types are absent from partner lists by their
columns; the Profiles page shows disclosed counts by location type, which is an aggregate.)"""


def yesterday_at(at: time) -> datetime:
    day = datetime.now(UTC).astimezone(LONDON).date() - timedelta(days=1)
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def events() -> list[dict[str, Any]]:
    """Yesterday 03:47 (received 04:13): 6 burglaries of dwellings in Birkenhead at six
    streets with points, and 2 robberies in Bebington (a notable category)."""
    when = {
        "occurred": {"start": yesterday_at(OCCURRED).isoformat(), "end": None},
        "received_at": yesterday_at(RECEIVED).isoformat(),
    }

    def at(ward: str, i: int, **location: Any) -> dict[str, Any]:
        street = f"{STREET} {'ABCDEF'[i]}"
        place = {"ward_code": ward, "place": street, "location_type": "dwelling", **location}
        return {"location": place, **when}

    burglaries = [
        make_police_incident(data={**at(BIRKENHEAD, i, lsoa_code=LSOA, lat=53.39, lon=-3.02)})
        for i in range(6)
    ]
    robberies = [
        make_police_incident(data={**at(BEBINGTON, i), "category": "robbery"}) for i in range(2)
    ]
    return burglaries + robberies


@pytest.fixture
def placed(app_env: Settings) -> Settings:  # noqa: F811 (the imported fixture)
    asyncio.run(_seed(app_env, events(), dead=0))
    accounts = Accounts(app_env.accounts_path)
    accounts.add("ana", Role.ANALYST, ANALYST_PASSWORD)
    accounts.add("pat", Role.PARTNER, PARTNER_PASSWORD)
    return app_env


def visit(page: str, role: Role) -> AppTest:
    """The page signed in as ``role`` (public: signed out), on a window holding yesterday
    (the analyst's briefing from yesterday 00:00), in the ward of the burglaries."""
    query: dict[str, Any] = {"page": page, "window": "7d", "breakdown": "loctype"}
    if page == "areas":
        query["area"] = BIRKENHEAD
    if page == "briefing" and role is Role.ANALYST:
        query["since"] = f"{yesterday_at(OCCURRED).astimezone(LONDON).date()}T00:00"
    return run_app(query, role=None if role is Role.PUBLIC else role)


def tables(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def map_text(at: AppTest) -> str:
    return " ".join(str(chart.proto.json) for chart in at.get("deck_gl_json_chart"))


def export_texts(at: AppTest, page: str) -> dict[str, str]:
    """The page's export as each format holds it, opened with its own library, without the
    header block (its extraction time and window bounds are minutes of their own)."""
    view = at.session_state[EXPORTS_STATE][page][0]
    lines = render(view, "csv").decode("utf-8-sig").splitlines()
    body = lines[len(view.about()) :]
    book = load_workbook(io.BytesIO(render(view, "xlsx")))
    cells = [
        str(value)
        for sheet in book.worksheets
        if sheet.title != "About"
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    pdf = PdfReader(io.BytesIO(render(view, "pdf")))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    first_table = view.tables[0][0]
    return {
        "csv": "\n".join(" ".join(r) for r in csv.reader(body)),
        "xlsx": "\n".join(cells),
        "pdf": text[text.index(first_table) :],
    }


def incident_lists(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    return [f for f in frames if any(str(c).startswith("Occurred") for c in f.columns)]


@pytest.mark.parametrize("page", PAGES)
def test_the_analyst_keeps_single_incidents_in_full(placed: Settings, page: str) -> None:
    """The analyst's Live and briefing list each incident with its minute, street and
    location type, on screen and in every export; the other pages keep their figures."""
    at = visit(page, Role.ANALYST)
    assert not at.exception
    if page not in ("live", "briefing"):
        assert not incident_lists(tables(at))
        return
    (listed,) = incident_lists(tables(at))
    assert f"{yesterday_at(OCCURRED).astimezone(LONDON):%Y-%m-%d %H:%M}" in set(
        listed["Occurred (UK time)"]
    )
    assert any(str(p).startswith(STREET) for p in listed["Place"])
    for fmt, text in export_texts(at, page).items():
        assert "03:47" in text, fmt
        assert STREET in text, fmt


@pytest.mark.parametrize("role", [Role.PARTNER, Role.PUBLIC])
@pytest.mark.parametrize("page", PAGES)
def test_nothing_finer_than_day_and_ward_below_the_analyst(
    placed: Settings, page: str, role: Role
) -> None:
    """No table, map tooltip or export of any page shows a partner or the public a time
    with minutes or anything placing an incident finer than its ward (street, "on or
    near", LSOA, location type)."""
    at = visit(page, role)
    assert not at.exception
    if page == "live":
        assert f"Viewing as {role.value}" in " ".join(c.value for c in at.caption)
    shown = [f.to_csv() for f in tables(at)] + [map_text(at)]
    if at.session_state[EXPORTS_STATE].get(page):
        shown += list(export_texts(at, page).values())
    for text in shown:
        assert not MINUTES.search(text), text[:2000]
        for finer in BELOW_WARD:
            assert finer not in text, (finer, text[:2000])


@pytest.mark.parametrize("page", ["live", "briefing"])
def test_a_partner_lists_incidents_by_day_and_ward(placed: Settings, page: str) -> None:
    """A partner's Live and briefing list the incidents with their day, source, category
    and ward only, on screen and in the Excel export."""
    at = visit(page, Role.PARTNER)
    (listed,) = incident_lists(tables(at))
    assert list(listed.columns) == [
        "Occurred (UK date)",
        "Source",
        "Category",
        "Ward",
        "Received (UK date)",
    ]
    day = f"{yesterday_at(OCCURRED).astimezone(LONDON):%Y-%m-%d}"
    assert day in set(listed["Occurred (UK date)"])
    assert "Bebington (E05000954)" in set(listed["Ward"])
    view = at.session_state[EXPORTS_STATE][page][0]
    book = load_workbook(io.BytesIO(render(view, "xlsx")))
    sheet = "Latest incidents" if page == "live" else "Notable incidents"
    header, *rows = book[sheet].iter_rows(values_only=True)
    assert header == tuple(listed.columns)
    assert rows


@pytest.mark.parametrize("page", PAGES)
def test_the_public_sees_no_list_of_single_incidents(placed: Settings, page: str) -> None:
    """Signed out, no page and no export lists single incidents; Live and the briefing show
    disclosed counts by category in their place."""
    at = visit(page, Role.PUBLIC)
    assert not incident_lists(tables(at))
    if at.session_state[EXPORTS_STATE].get(page):
        view = at.session_state[EXPORTS_STATE][page][0]
        assert not incident_lists([table for _, table in view.tables])
        book = load_workbook(io.BytesIO(render(view, "xlsx")))
        assert "Latest incidents" not in book.sheetnames
    if page == "live":
        (heading,) = [h for h in at.subheader if h.value == "Latest day by category — yesterday"]
        assert "not listed in the public view" in heading.proto.help  # its (?) explains
        counts = next(
            f for f in tables(at) if list(f.columns) == ["Category", "Source", "Incidents"]
        )
        assert dict(zip(counts["Category"], counts["Incidents"], strict=True)) == {
            "Burglary": "5",
            "Robbery": FEWER,
        }
    if page == "briefing":
        assert any(m.value.startswith("**Notable incidents by category") for m in at.markdown)
        assert any("not listed in the public view" in c.value for c in at.caption)
        view = at.session_state[EXPORTS_STATE][page][0]
        counts = dict(view.tables)["Notable incidents"]
        assert dict(zip(counts["Category"], counts["Incidents"], strict=True))["Robbery"] == FEWER


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PUBLIC])
@pytest.mark.parametrize("page", PAGES)
def test_every_export_caveat_is_a_whole_sentence(placed: Settings, page: str, role: Role) -> None:
    """Each caveat an export carries starts with a capital and ends with a full stop (a
    caveat pasted into a committee paper is read as a sentence)."""
    at = visit(page, role)
    exports = at.session_state[EXPORTS_STATE]
    if page not in exports:  # the public's hot-spot times are withheld for few incidents
        assert (page, role) == ("hotspots", Role.PUBLIC)
        return
    for caveat in exports[page][0].caveats:
        assert caveat[:1].isupper(), caveat
        assert caveat.rstrip().endswith("."), caveat
