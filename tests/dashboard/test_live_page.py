"""The live page under Streamlit's AppTest, reading a real redis-server seeded per test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from redis.asyncio import Redis as AsyncRedis
from streamlit.testing.v1 import AppTest

from safer.procs import free_port
from safer.settings import Settings
from schemas.codec import decode_incident
from store.writer import StageOutcome, writer_for
from tests.builders import encode, make_council_asb, make_fire_incident, make_police_incident

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
BEBINGTON = "E05000954"
BIRKENHEAD = "E05000956"


BROMBOROUGH_LSOA = "E01007141"


def seeded_events() -> list[dict[str, Any]]:
    """3 police, 2 council, 1 fire (no ward: its LSOA's ward); every place name distinct."""

    def loc(ward: str | None, place: str, lsoa: str | None = None, **data: Any) -> dict[str, Any]:
        where = {"ward_code": ward, "place": place} | ({"lsoa_code": lsoa} if lsoa else {})
        return {"data": {"location": where, **data}}

    return [
        make_police_incident(**loc(BIRKENHEAD, "On or near Grange Road")),
        make_police_incident(**loc(BIRKENHEAD, "On or near Argyle Street")),
        make_police_incident(**loc(BEBINGTON, "On or near Bolton Road", category="drugs")),
        make_council_asb(**loc(BEBINGTON, "Mayer Park")),
        make_council_asb(**loc(BEBINGTON, "Kings Road Playing Field")),
        make_fire_incident(**loc(None, "Bidston Hill", lsoa=BROMBOROUGH_LSOA)),
    ]


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
    monkeypatch.setenv("SAFER_STATE_DIR", str(tmp_path / "app-state"))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield settings
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def seeded(app_env: Settings) -> Settings:
    asyncio.run(_seed(app_env, seeded_events(), dead=2))
    return app_env


def run_app(query: dict[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(frames) == 1, f"expected one table with column {column!r}"
    return frames[0]


def test_metrics_show_seeded_totals(seeded: Settings) -> None:
    """The KPI metrics show the exact seeded totals per source and the dead-letter count."""
    at = run_app()
    assert at.title[0].value == "safer-tracker — live"
    assert metrics(at) == {
        "All incidents": "6",
        "Police": "3",
        "Council": "2",
        "Fire": "1",
        "Dead-lettered": "2",
    }


def test_ward_table_names_and_counts(seeded: Settings) -> None:
    """The ward table shows seeded wards by name and code with per-source counts and totals."""
    table = table_with(run_app(), "Total")
    assert table.to_dict("records") == [
        {"Ward": "Bebington (E05000954)", "Police": 1, "Council": 2, "Fire": 0, "Total": 3},
        {
            "Ward": "Birkenhead and Tranmere (E05000956)",
            "Police": 2,
            "Council": 0,
            "Fire": 0,
            "Total": 2,
        },
        {"Ward": "Bromborough (E05000957)", "Police": 0, "Council": 0, "Fire": 1, "Total": 1},
    ]


def test_ticker_lists_seeded_incidents(seeded: Settings) -> None:
    """The latest-incidents ticker lists every seeded incident with display names."""
    at = run_app()
    ticker = table_with(at, "Place")
    assert sorted(ticker["Place"]) == sorted(
        [
            "On or near Grange Road",
            "On or near Argyle Street",
            "On or near Bolton Road",
            "Mayer Park",
            "Kings Road Playing Field",
            "Bidston Hill",
        ]
    )
    fire = ticker[ticker["Source"] == "Fire"].iloc[0]
    assert (fire["Category"], fire["Ward"]) == ("Secondary fire", "Bromborough (E05000957)")
    police = ticker[ticker["Source"] == "Police"]
    assert set(police["Occurred (UK time)"]) == {"2026-11-20 18:30"}  # builders: 21:30 UTC - 3 h


def test_freshness_and_category_text(seeded: Settings) -> None:
    """Each source has a freshness line, and the category chart has a text alternative."""
    at = run_app()
    freshness = at.markdown[0].value
    for source in ("Police", "Council", "Fire"):
        assert f"{source}: latest arrival 2026-11-20 21:30:00" in freshness
    summaries = [c.value for c in at.caption if c.value.startswith("Incidents by category")]
    assert summaries == [
        "Incidents by category, largest first — ASB – nuisance: 2; Burglary: 2; Drugs: 1; "
        "Secondary fire: 1."
    ]


def test_source_filter_narrows_view_and_is_mirrored(seeded: Settings) -> None:
    """Choosing one source narrows ward table and ticker and writes ?source=... to the URL."""
    at = run_app()
    at.sidebar.multiselect[0].set_value(["police"]).run()
    assert not at.exception
    assert at.query_params["source"] == "police"
    wards = table_with(at, "Total")
    assert list(wards.columns) == ["Ward", "Police", "Total"]
    assert set(wards["Ward"]) == {"Bebington (E05000954)", "Birkenhead and Tranmere (E05000956)"}
    assert set(table_with(at, "Place")["Source"]) == {"Police"}
    assert metrics(at)["All incidents"] == "6"  # KPIs stay whole-picture


def test_source_filter_read_from_query_params(seeded: Settings) -> None:
    """A shared link (?source=council&source=fire) opens with that filter applied."""
    at = run_app({"source": ["council", "fire"]})
    assert at.sidebar.multiselect[0].value == ["council", "fire"]
    assert set(table_with(at, "Place")["Source"]) == {"Council", "Fire"}
    assert at.query_params["source"] == ["council", "fire"]


def test_selecting_all_sources_clears_the_parameter(seeded: Settings) -> None:
    """Going back to all sources removes ?source from the URL (the default view)."""
    at = run_app({"source": "fire"})
    at.sidebar.multiselect[0].set_value(["police", "council", "fire"]).run()
    assert not at.exception
    assert "source" not in at.query_params
    assert len(table_with(at, "Place")) == 6


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
