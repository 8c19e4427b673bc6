"""``safer feed fire`` through the real broker: an export is published once, with the
service's own ward codes, and importing it again publishes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from safer.settings import Settings, child_env
from schemas.categories import Source
from streams.topics import Topics
from tests.integration.worker import read_topic

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "lfb_incident_records_sample.csv"


def _feed(settings: Settings) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "safer.cli", "feed", "fire", str(SAMPLE)],
        env=child_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_fire_export_is_published_once(settings: Settings) -> None:
    assert "published 20 (20 new, 0 changed, 0 cancelled)" in _feed(settings)
    assert "published 0 (0 new, 0 changed, 0 cancelled); unchanged 20" in _feed(settings)
    raw = read_topic(settings, Topics(settings.topic_prefix).raw(Source.FIRE).name, 20)
    events = [json.loads(v) for v in raw]
    assert len(events) == 20
    assert {e["source"] for e in events} == {"fire"}
    assert all(e["data"]["location"]["ward_code"].startswith("E05") for e in events)
