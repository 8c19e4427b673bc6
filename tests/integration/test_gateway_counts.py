"""``GET /v1/counts`` on the real stack: fires counted by the real worker, read back through
the gateway under two agreements — the dashboard's protected rounding and ONS-style
suppression — with the other sources left out and finer levels refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from aggregates.periods import LONDON
from safer.settings import Settings
from schemas.categories import Source
from schemas.topics import Topics
from sharing.registry import Subscribers
from tests.builders import DEFAULT_WARD, encode, key_of, make_council_asb, make_fire_incident
from tests.integration.gateway import running_gateway
from tests.integration.worker import produce, running_worker, wait_for

BASE = """sources = ["fire"]
level = "aggregates"
"""
OTHER_WARD = "E05000960"


def _yesterday_noon() -> str:
    today = datetime.now(UTC).astimezone(LONDON).date()
    noon = datetime.combine(today - timedelta(days=1), datetime.min.time(), LONDON)
    return (noon + timedelta(hours=12)).astimezone(UTC).isoformat()


def _fire(ward: str) -> dict[str, object]:
    fire = make_fire_incident(data={"occurred": {"start": _yesterday_noon()}})
    if ward != DEFAULT_WARD:
        fire["data"]["location"] = {"ward_code": ward}  # type: ignore[index]
    return fire


def test_counts_are_disclosed_as_each_agreement_says(settings: Settings, tmp_path: Path) -> None:
    registry = Subscribers(settings.subscribers_path, settings.agreements_path)
    keys = {}
    for name, extra in {
        "protected": 'precision = "ward"\n',
        "ons": 'precision = "ward"\ndisclosure = "ons"\n',
        "coarse": 'precision = "none"\n',
    }.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(f'subscriber = "{name}"\n' + BASE + extra)
        keys[name] = registry.add(name, path)[1]
    events = [_fire(DEFAULT_WARD) for _ in range(7)] + [_fire(OTHER_WARD) for _ in range(2)]
    asb = [make_council_asb(data={"occurred": {"start": _yesterday_noon()}}) for _ in range(3)]
    topics = Topics(settings.topic_prefix)
    with running_worker(settings, tmp_path), running_gateway(settings, tmp_path) as base:
        produce(settings, topics.raw(Source.FIRE).name, [(key_of(e), encode(e)) for e in events])
        produce(settings, topics.raw(Source.COUNCIL).name, [(key_of(e), encode(e)) for e in asb])

        def get(name: str, **params: str) -> httpx.Response:
            auth = {"Authorization": f"Bearer {keys[name]}"}
            return httpx.get(f"{base}/v1/counts", headers=auth, params=params, timeout=10)

        def rows(name: str, level: str) -> dict[str, tuple[int | None, str]]:
            body = get(name, level=level, window="7d").json()
            return {r["area"]: (r["count"], r["shown"]) for r in body["rows"]}

        wait_for(lambda: len(rows("protected", "ward")) == 2, 60, "the fires counted")
        assert rows("protected", "ward") == {
            DEFAULT_WARD: (5, "5"),
            OTHER_WARD: (None, "fewer than 5"),
        }
        assert rows("protected", "borough") == {"E08000015": (10, "10")}  # 7 + 2 (protected)
        assert rows("ons", "ward") == {DEFAULT_WARD: (None, "<10"), OTHER_WARD: (None, "<10")}
        assert rows("ons", "borough") == {"E08000015": (10, "10")}  # 5 + 5 imputed
        body = get("protected", level="ward", window="7d").json()
        assert {r["category"] for r in body["rows"]} == {"secondary-fire"}  # no council ASB
        assert body["window"]["slug"] == "7d"
        assert "fewer than 5" in body["caveat"]
        today = get("protected", level="ward", window="yesterday").json()
        assert len(today["rows"]) == 2
        assert get("coarse", level="ward").status_code == 403
        assert rows("coarse", "borough") == {"E08000015": (10, "10")}
        assert get("protected", level="lsoa").status_code == 422
