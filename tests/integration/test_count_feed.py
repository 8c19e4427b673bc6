"""An aggregates-level subscriber's topic on the real worker, broker and Redis: the agreed
counts of closed days only, disclosed as agreed (protected rounding here), sent when the
day has closed and again only when late records change what is shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from safer.settings import Settings
from schemas.calendar import LONDON
from schemas.categories import Source
from schemas.shared import SharedCount
from schemas.topics import Topics
from sharing.registry import Subscribers
from tests.builders import DEFAULT_WARD, encode, key_of, make_council_asb, make_fire_incident
from tests.integration.worker import produce, read_topic, running_worker, wait_for

OTHER_WARD = "E05000960"
AGREEMENT = """subscriber = "grants"
sources = ["fire"]
level = "aggregates"
precision = "ward"
"""


def _at(days_ago: int) -> str:
    today = datetime.now(UTC).astimezone(LONDON).date()
    noon = datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), LONDON)
    return (noon + timedelta(hours=12)).astimezone(UTC).isoformat()


def _fire(days_ago: int, ward: str = DEFAULT_WARD) -> dict[str, object]:
    fire = make_fire_incident(data={"occurred": {"start": _at(days_ago)}})
    if ward != DEFAULT_WARD:
        fire["data"]["location"] = {"ward_code": ward}  # type: ignore[index]
    return fire


def test_closed_days_are_shared_disclosed_and_updated_only_when_the_figure_changes(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "grants.toml"
    path.write_text(AGREEMENT)
    Subscribers(settings.subscribers_path, settings.agreements_path).add("grants", path)
    topics = Topics(settings.topic_prefix)
    fire_topic = topics.raw(Source.FIRE).name
    subscriber = topics.subscriber("grants").name
    yesterday = (datetime.now(UTC).astimezone(LONDON).date() - timedelta(days=1)).isoformat()
    first = [_fire(1) for _ in range(7)] + [_fire(1, OTHER_WARD) for _ in range(2)]
    first += [_fire(0) for _ in range(6)]  # today: not closed, not shared
    asb = make_council_asb(data={"occurred": {"start": _at(1)}})

    def figures() -> dict[str, SharedCount]:
        latest: dict[str, SharedCount] = {}
        for raw in read_topic(settings, subscriber, 10_000, timeout_s=2):
            message = SharedCount.model_validate_json(raw)
            if message.cell not in latest or message.version > latest[message.cell].version:
                latest[message.cell] = message
        return latest

    with running_worker(settings, tmp_path):
        produce(settings, fire_topic, [(key_of(e), encode(e)) for e in first])
        produce(settings, topics.raw(Source.COUNCIL).name, [(key_of(asb), encode(asb))])
        wait_for(lambda: len(figures()) == 3, 60, "yesterday's two wards and the borough")
        shown = {(m.level, m.area): (m.count, m.shown) for m in figures().values()}
        assert shown == {
            ("ward", DEFAULT_WARD): (5, "5"),
            ("ward", OTHER_WARD): (None, "fewer than 5"),
            ("borough", "E08000015"): (10, "10"),
        }
        assert {m.day for m in figures().values()} == {yesterday}
        assert {m.category for m in figures().values()} == {"secondary-fire"}
        sent = len(read_topic(settings, subscriber, 10_000, timeout_s=2))
        assert sent == 3

        late = [_fire(1, OTHER_WARD)]  # 2 -> 3 in the other ward: still "fewer than 5"
        produce(settings, fire_topic, [(key_of(e), encode(e)) for e in late])
        more = [_fire(1) for _ in range(2)]  # 7 -> 9 in the ward: 5 -> 10
        produce(settings, fire_topic, [(key_of(e), encode(e)) for e in more])
        wait_for(
            lambda: figures()[f"ward|{DEFAULT_WARD}|secondary-fire|{yesterday}"].shown == "10",
            60,
            "the ward's figure updated by late records",
        )
        latest = figures()
        assert latest[f"borough|E08000015|secondary-fire|{yesterday}"].shown == "10"  # 9 + 2
        messages = read_topic(settings, subscriber, 10_000, timeout_s=2)
    assert len(messages) == 4  # only the ward whose shown figure changed was sent again
