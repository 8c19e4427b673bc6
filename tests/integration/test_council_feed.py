"""``safer feed council`` through the real broker: the sample export is published once with
pseudonymised references, and a refused row reaches the dead-letter topic without them."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

from safer.settings import Settings
from schemas.categories import Source
from schemas.deadletter import DeadLetter
from schemas.topics import Topics
from tests.integration.worker import read_topic, safer_cli

SAMPLE = Path(__file__).resolve().parents[2] / "feeds" / "samples" / "council_export_sample.csv"


def _feed(settings: Settings, path: Path) -> subprocess.CompletedProcess[str]:
    return safer_cli(settings, "feed", "council", str(path))


def test_council_export_is_pseudonymised_and_published_once(
    settings: Settings, tmp_path: Path
) -> None:
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    bad = rows[0] | {"reference": "BAD-1", "street": "12 Acacia Avenue", "caller_ref": "CON-9"}
    export = tmp_path / "export.csv"
    with export.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, bad])
    first = _feed(settings, export)
    assert first.returncode == 1, "one row was refused"
    summary = first.stdout.strip().splitlines()[-1]
    assert f"published {len(rows):,} ({len(rows):,} new, 0 changed, 0 cancelled)" in summary
    assert "rejected 1" in summary
    again = _feed(settings, export)
    assert "published 0 (0 new" in again.stdout
    topics = Topics(settings.topic_prefix)
    values = read_topic(settings, topics.raw(Source.COUNCIL).name, len(rows))
    assert {json.loads(v)["source"] for v in values} == {"council"}
    raw = b"".join(values)
    references = {r[c] for r in rows for c in ("caller_ref", "address_ref") if r[c]}
    assert not [ref for ref in references if ref.encode() in raw]
    assert b'"caller_ref":"' in raw, "pseudonyms are carried for repeat counts"
    dead = [
        DeadLetter.model_validate_json(v) for v in read_topic(settings, topics.deadletter.name, 2)
    ]
    assert {d.line for d in dead} == {len(rows) + 2}, "the same refused row, once per import"
    for letter in dead:
        assert b"Acacia" not in letter.original_value
        assert b"CON-9" not in letter.original_value
        assert "personal data (house-number)" in letter.detail
