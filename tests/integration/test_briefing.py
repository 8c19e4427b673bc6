"""The morning briefing from subscribers' own topics, on the real worker and broker: the
records that began overnight (and nothing from before, nor anything the agreement leaves
out) in a PDF read back with pypdf, an HTML page and a MIME message parsed by Python's own
e-mail package; an aggregates-level subscriber gets the last closed day's disclosed counts."""

from __future__ import annotations

import email
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from pypdf import PdfReader

from safer.settings import Settings
from schemas.calendar import LONDON
from schemas.categories import Source
from schemas.topics import Topics
from sharing.registry import Subscribers
from tests.builders import DEFAULT_WARD, encode, key_of, make_council_asb, make_fire_incident
from tests.integration.worker import produce, read_topic, running_worker, safer_cli, wait_for

RECORDS = """subscriber = "fire-prevention"
sources = ["fire"]
level = "records"
precision = "ward"
fields = ["category", "occurred"]
"""
COUNTS = """subscriber = "grants"
sources = ["fire"]
level = "aggregates"
precision = "ward"
"""


def _yesterday(at: time) -> str:
    day = datetime.now(UTC).astimezone(LONDON).date() - timedelta(days=1)
    return datetime.combine(day, at, LONDON).astimezone(UTC).isoformat()


def test_briefings_hold_the_night_within_each_agreement(settings: Settings, tmp_path: Path) -> None:
    registry = Subscribers(settings.subscribers_path, settings.agreements_path)
    for name, text in (("fire-prevention", RECORDS), ("grants", COUNTS)):
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        registry.add(name, path)
    night = [
        make_fire_incident(data={"occurred": {"start": _yesterday(time(20, 0))}}),
        make_fire_incident(
            data={"occurred": {"start": _yesterday(time(23, 30))}, "category": "primary-fire"}
        ),
    ]
    morning = make_fire_incident(data={"occurred": {"start": _yesterday(time(10, 0))}})
    asb = make_council_asb(data={"occurred": {"start": _yesterday(time(21, 0))}})
    topics = Topics(settings.topic_prefix)
    with running_worker(settings, tmp_path):
        fires = [*night, morning]
        produce(settings, topics.raw(Source.FIRE).name, [(key_of(f), encode(f)) for f in fires])
        produce(settings, topics.raw(Source.COUNCIL).name, [(key_of(asb), encode(asb))])
        wait_for(
            lambda: len(read_topic(settings, topics.subscriber("fire-prevention").name, 3, 2)) == 3,
            60,
            "the records shared",
        )
        wait_for(
            lambda: len(read_topic(settings, topics.subscriber("grants").name, 3, 2)) >= 2,
            60,
            "the counts shared",
        )
        made = safer_cli(settings, "briefing", "make")
    assert made.returncode == 0, made.stderr
    today = datetime.now(UTC).astimezone(LONDON).date().isoformat()
    folder = settings.state_dir / "briefings" / "fire-prevention"
    pdf = "\n".join(page.extract_text() for page in PdfReader(folder / f"{today}.pdf").pages)
    assert "2 record(s) shared with you began between" in pdf
    assert "Secondary fire: 1" in pdf
    assert "Primary fire: 1" in pdf
    assert "Birkenhead and Tranmere" in pdf  # the ward of the records (DEFAULT_WARD)
    html = (folder / f"{today}.html").read_text()
    assert "asb" not in html.lower()  # the council's record is not this subscriber's
    assert html.count("<tr>") == 3  # the header and the two overnight records
    with (folder / f"{today}.eml").open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"].startswith("Overnight briefing for fire-prevention")
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html", "application/pdf"} <= parts
    counts = (settings.state_dir / "briefings" / "grants" / f"{today}.html").read_text()
    assert "fewer than 5" in counts  # 3 secondary fires yesterday in the ward, disclosed
    assert DEFAULT_WARD not in counts  # areas by name
