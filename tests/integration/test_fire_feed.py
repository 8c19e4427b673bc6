"""``safer feed fire`` through the real broker: an export is published once, with the
service's own ward codes, and importing it again publishes nothing."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bus.admin import ensure_topics
from safer.settings import Settings, child_env
from schemas.categories import Source
from schemas.topics import Topics
from tests.data_files import data_file
from tests.integration.worker import read_topic, safer_cli

SAMPLE = data_file("lfb_incident_records_sample.csv")


def _feed(settings: Settings) -> str:
    done = safer_cli(settings, "feed", "fire", str(SAMPLE))
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


def test_follow_imports_new_exports_until_stopped(settings: Settings, tmp_path: Path) -> None:
    """--follow picks up an export dropped into the folder (once it has stopped changing),
    and a second one later; SIGTERM stops it cleanly."""
    folder = tmp_path / "exports"
    folder.mkdir()
    ensure_topics(settings.require_kafka(), Topics(settings.topic_prefix), settings.partitions)
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "feed",
            "fire",
            str(folder),
            "--follow",
            "--poll-seconds",
            "0.3",
        ],
        env=child_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    raw_topic = Topics(settings.topic_prefix).raw(Source.FIRE).name
    try:
        shutil.copy(SAMPLE, folder / "2009-01-a.csv")
        assert len(read_topic(settings, raw_topic, 20)) == 20
        lines = SAMPLE.read_text(encoding="utf-8").splitlines()
        changed = [lines[0], lines[1].replace("235138081", "235138999", 1)]
        (folder / "2009-01-b.csv").write_text("\n".join(changed) + "\n", encoding="utf-8")
        assert len(read_topic(settings, raw_topic, 21)) == 21
    finally:
        follower.send_signal(signal.SIGTERM)
        out, _ = follower.communicate(timeout=30)
    assert follower.returncode == 0
    assert "published 20 (20 new" in out
    assert "published 1 (1 new" in out


def test_replay_publishes_in_event_time_order(settings: Settings, tmp_path: Path) -> None:
    """--replay-speed sends an export in event-time order whatever the file order (the raw
    topic's single partition shows it), at the replay's pace."""
    one = settings.model_copy(update={"partitions": 1})
    header, *rows = SAMPLE.read_text(encoding="utf-8").splitlines()
    backwards = tmp_path / "backwards.csv"
    backwards.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    started = time.monotonic()
    done = safer_cli(one, "feed", "fire", str(backwards), "--replay-speed", "600")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    raw = read_topic(one, Topics(one.topic_prefix).raw(Source.FIRE).name, 20)
    times = [datetime.fromisoformat(json.loads(v)["data"]["occurred"]["start"]) for v in raw]
    assert len(times) == 20
    assert times == sorted(times)
    span = (times[-1] - times[0]).total_seconds()
    assert elapsed >= span / 600 * 0.9, "the history was paced, not sent at once"


def test_replay_of_a_folder_with_a_reissue_versions_it(settings: Settings, tmp_path: Path) -> None:
    """Two exports of the same period in one replayed folder: the second one's changed
    incident is the next version of the first one's, not a second version 1."""
    folder = tmp_path / "exports"
    folder.mkdir()
    header, first, *rest = SAMPLE.read_text(encoding="utf-8").splitlines()
    (folder / "a.csv").write_text("\n".join([header, first, *rest]) + "\n", encoding="utf-8")
    changed = first.replace("Special Service,Special Service,RTC", "Fire,Secondary Fire,", 1)
    assert changed != first
    (folder / "b.csv").write_text("\n".join([header, changed]) + "\n", encoding="utf-8")
    done = safer_cli(settings, "feed", "fire", str(folder), "--replay-speed", "1e6")
    assert done.returncode == 0, done.stderr
    assert "published 21 (20 new, 1 changed, 0 cancelled)" in done.stdout
    raw = read_topic(settings, Topics(settings.topic_prefix).raw(Source.FIRE).name, 21)
    versions = sorted(
        json.loads(v)["version"] for v in raw if json.loads(v)["record_key"].endswith(":235138081")
    )
    assert versions == [1, 2]


def test_a_slow_replay_stops_at_once_on_sigterm(settings: Settings) -> None:
    """A one-shot import keeps SIGTERM's default: a stack stopping it does not wait for
    its grace period (what was not acknowledged is published by the next run)."""
    ensure_topics(settings.require_kafka(), Topics(settings.topic_prefix), settings.partitions)
    replay = subprocess.Popen(
        [sys.executable, "-m", "cli", "feed", "fire", str(SAMPLE), "--replay-speed", "1"],
        env=child_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    raw_topic = Topics(settings.topic_prefix).raw(Source.FIRE).name
    assert read_topic(settings, raw_topic, 1), "the replay has started publishing"
    replay.send_signal(signal.SIGTERM)
    assert replay.wait(timeout=5) == -signal.SIGTERM


def test_follow_needs_a_folder(settings: Settings) -> None:
    done = safer_cli(settings, "feed", "fire", str(SAMPLE), "--follow", timeout_s=60)
    assert done.returncode == 2
    assert "--follow needs a folder" in done.stderr
